using System.Diagnostics;
using Partitioned.Clustering;
using Partitioned.Datasets;
using Partitioned.Routing;

namespace Partitioned.Bench;

/// <summary>
/// Scale of a whole cluster run (issue 20, targets a and b): start until every partition serves, the driver's memory
/// (resident set and managed heap) and each worker process's resident set, scatter-gather over every partition (the
/// first call, which opens the connections, and the median of the calls after it), and stop until every result is back,
/// checked to be in partition order (each partition's one result is its index).
/// </summary>
internal static class ScaleClusterBenchmark
{
    public static async Task<ScaleClusterRow> MeasureAsync(string setup, ClusterOptions options, int partitions, int scatters)
    {
        var driverBefore = DriverMemory.Take();
        var cluster = new Cluster<int, int>(PartitionedDataset.FromGenerator(partitions, _ => Array.Empty<int>()), ScaleServer.Definition, options);
        try
        {
            var cpu = DriverCpu();
            var watch = Stopwatch.StartNew();
            await cluster.StartAsync();
            var startMs = watch.Elapsed.TotalMilliseconds;
            var driverStartCpuMs = DriverCpu() - cpu;
            var driver = DriverMemory.Take();
            var workers = WorkerProcesses.Of(cluster.Id);
            var workerMb = workers.Select(WorkerProcesses.ResidentMb).Order().ToList();
            var workerCpuMs = workers.Sum(WorkerProcesses.CpuMs);
            Console.WriteLine($"  {setup}: {partitions} partitions serving after {startMs:0} ms in {workers.Count} worker processes " +
                $"(resident {Summary(workerMb)} MB; {workerCpuMs / 1000:0.0} CPU-s in all); driver CPU {driverStartCpuMs / 1000:0.0} s, resident {driver.ResidentMb:0} MB, heap {driver.HeapMb:0} MB");

            double? firstScatterMs = null, scatterMedianMs = null, scatterP90Ms = null, firstScatterDriverCpuMs = null, firstScatterWorkerCpuMs = null, scatterDriverCpuMs = null, scatterWorkerCpuMs = null;
            if (scatters > 0)
            {
                var scatterOptions = new ScatterOptions { PerPartitionTimeout = TimeSpan.FromSeconds(60) };
                var workerCpu = workers.Sum(WorkerProcesses.CpuMs);
                cpu = DriverCpu();
                watch.Restart();
                var first = await cluster.ScatterGetAsync<int>("index", scatterOptions);
                firstScatterMs = watch.Elapsed.TotalMilliseconds;
                (firstScatterDriverCpuMs, firstScatterWorkerCpuMs) = (DriverCpu() - cpu, workers.Sum(WorkerProcesses.CpuMs) - workerCpu);
                Check(first, partitions);
                var samples = new List<double>();
                (cpu, workerCpu) = (DriverCpu(), workers.Sum(WorkerProcesses.CpuMs));
                for (var i = 0; i < scatters; i++)
                {
                    watch.Restart();
                    Check(await cluster.ScatterGetAsync<int>("index", scatterOptions), partitions);
                    samples.Add(watch.Elapsed.TotalMilliseconds);
                }

                (scatterDriverCpuMs, scatterWorkerCpuMs) = ((DriverCpu() - cpu) / scatters, (workers.Sum(WorkerProcesses.CpuMs) - workerCpu) / scatters);
                samples.Sort();
                (scatterMedianMs, scatterP90Ms) = (samples[samples.Count / 2], samples[(int)(samples.Count * 0.9)]);
                Console.WriteLine($"  {setup}: scatter-gather over {partitions}: first {firstScatterMs:0} ms (connections opening; CPU driver {firstScatterDriverCpuMs:0} ms, workers {firstScatterWorkerCpuMs:0} ms), then median {scatterMedianMs:0.0} ms, p90 {scatterP90Ms:0.0} ms over {scatters} (CPU per call: driver {scatterDriverCpuMs:0} ms, workers {scatterWorkerCpuMs:0} ms)");
            }

            watch.Restart();
            var results = await cluster.StopAsync();
            var stopMs = watch.Elapsed.TotalMilliseconds;
            var perPartition = await results.CollectPartitionsAsync();
            var inOrder = perPartition.Count == partitions && perPartition.Select(static (rows, index) => rows.Count == 1 && rows[0] == index).All(static ok => ok);
            Console.WriteLine($"  {setup}: stopped in {stopMs:0} ms; results {(inOrder ? "all back, in partition order" : "NOT all back in partition order")}");
            return new ScaleClusterRow(setup, partitions, workers.Count, startMs, driverStartCpuMs, firstScatterDriverCpuMs, firstScatterWorkerCpuMs, driver.ResidentMb, driver.HeapMb, driver.HeapMb - driverBefore.HeapMb, workerMb, workerCpuMs,
                firstScatterMs, scatterMedianMs, scatterP90Ms, scatterDriverCpuMs, scatterWorkerCpuMs, stopMs, inOrder);
        }
        finally
        {
            await cluster.DisposeAsync();
        }
    }

    private static void Check(ScatterResult<int> result, int partitions)
    {
        if (result.Count != partitions || result.Select(static (r, i) => r.Succeeded && r.Value == i).Any(static ok => !ok))
        {
            // Said and counted, not thrown: the stop and its results are still measured.
            Console.WriteLine($"  SCATTER INCOMPLETE: {result.Failures.Count} of {partitions} partitions failed; first: {result.Failures.FirstOrDefault()?.Error?.Message}");
        }
    }

    private static double DriverCpu()
    {
        using var self = Process.GetCurrentProcess();
        return self.TotalProcessorTime.TotalMilliseconds;
    }

    private static string Summary(IReadOnlyList<double> values) =>
        values.Count == 0 ? "-" : values.Count <= 4 ? string.Join(" / ", values.Select(static v => v.ToString("0", System.Globalization.CultureInfo.InvariantCulture)))
        : $"{values[0]:0} to {values[^1]:0}, {values.Sum():0} in all";
}

/// <summary>The driver process's memory: its resident set and its managed heap after a full collection.</summary>
internal readonly record struct DriverMemory(double ResidentMb, double HeapMb)
{
    public static DriverMemory Take()
    {
        var heap = GC.GetTotalMemory(forceFullCollection: true) / 1024.0 / 1024.0;
        using var self = Process.GetCurrentProcess();
        return new DriverMemory(self.WorkingSet64 / 1024.0 / 1024.0, heap);
    }
}

internal sealed record ScaleClusterRow(
    string Setup, int Partitions, int WorkerProcesses, double StartMs, double DriverStartCpuMs, double? FirstScatterDriverCpuMs, double? FirstScatterWorkerCpuMs, double DriverResidentMb, double DriverHeapMb, double DriverHeapGrowthMb,
    IReadOnlyList<double> WorkerResidentMb, double WorkerCpuMs, double? FirstScatterMs, double? ScatterMedianMs, double? ScatterP90Ms, double? ScatterDriverCpuMs, double? ScatterWorkerCpuMs, double StopMs, bool ResultsInOrder);
