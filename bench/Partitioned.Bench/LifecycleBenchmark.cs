using System.Diagnostics;
using Partitioned.Clustering;
using Partitioned.Datasets;

namespace Partitioned.Bench;

/// <summary>
/// Start (until every partition registered) and stop times, memory per partition and CPU per worker (launch to
/// registered), by runner and partition count. A stop that loses results is recorded: the benchmark then fails.
/// </summary>
internal static class LifecycleBenchmark
{
    private const int Repeats = 3;

    public static async Task<List<LifecycleRow>> RunAsync(BenchSettings settings, IReadOnlyList<BenchRunner> runners)
    {
        var rows = new List<LifecycleRow>();
        foreach (var runner in runners)
        {
            foreach (var partitions in settings.PartitionCounts.Where(p => p <= runner.MaxPartitions))
            {
                var samples = new List<Sample>();
                for (var i = 0; i < Repeats; i++)
                {
                    samples.Add(await MeasureAsync(runner, partitions));
                }

                var row = new LifecycleRow(
                    runner.Name,
                    partitions,
                    Median(samples.Select(static s => s.StartMs)),
                    Median(samples.Select(static s => s.StopMs)),
                    Median(samples.Select(static s => s.MemoryPerPartitionMb)),
                    Median(samples.Select(static s => s.CpuMsPerWorker)),
                    samples.Sum(static s => s.LostResults));
                Console.WriteLine($"  {row.Runner,-12} {partitions,3} partitions: start {row.StartMs,8:0.0} ms  stop {row.StopMs,8:0.0} ms  " +
                    $"memory {row.MemoryPerPartitionMb,6:0.00} MB/partition  cpu {row.CpuMsPerWorker,6:0} ms/worker{(row.LostResults > 0 ? $"  LOST RESULTS of {row.LostResults} partition(s)" : string.Empty)}");
                rows.Add(row);
            }
        }

        return rows;
    }

    private static async Task<Sample> MeasureAsync(BenchRunner runner, int partitions)
    {
        var baseline = GC.GetTotalMemory(forceFullCollection: true);
        var cluster = new Cluster<int, int>(PartitionedDataset.FromGenerator(partitions, _ => Array.Empty<int>()), BenchServer.Definition, runner.Options);
        var watch = Stopwatch.StartNew();
        await cluster.StartAsync();
        var start = watch.Elapsed.TotalMilliseconds;

        // In-process: what the driver's managed heap grew by (after a full collection). Workers: each one's resident
        // set, and the CPU it used from launch until now (just after every partition registered).
        double memory, cpu = 0;
        if (runner.Options.Runner is InProcessRunner)
        {
            memory = (GC.GetTotalMemory(forceFullCollection: true) - baseline) / 1024.0 / 1024.0 / partitions;
        }
        else
        {
            var workers = WorkerProcesses.Of(cluster.Id);
            memory = workers.Sum(WorkerProcesses.ResidentMb) / partitions;
            cpu = workers.Sum(WorkerProcesses.CpuMs) / Math.Max(1, workers.Count);
        }

        watch.Restart();
        var lost = 0;
        try
        {
            await cluster.StopAsync();
        }
        catch (ClusterStopException ex)
        {
            lost = ex.Failures.Count;
            Console.WriteLine($"  stop of {partitions} partitions ({runner.Name}) LOST RESULTS: {ex.Message}");
        }

        var stop = watch.Elapsed.TotalMilliseconds;
        await cluster.DisposeAsync();
        return new Sample(start, stop, memory, cpu, lost);
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted[sorted.Count / 2];
    }

    private sealed record Sample(double StartMs, double StopMs, double MemoryPerPartitionMb, double CpuMsPerWorker, int LostResults);
}

/// <summary>One runner under test: its cluster options and the largest partition count it is measured with.</summary>
internal sealed record BenchRunner(string Name, ClusterOptions Options, int MaxPartitions);

internal sealed record LifecycleRow(string Runner, int Partitions, double StartMs, double StopMs, double MemoryPerPartitionMb, double CpuMsPerWorker, int LostResults);
