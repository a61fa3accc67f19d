using System.Diagnostics;
using Partitioned.Clustering;

namespace Partitioned.Bench;

/// <summary>Start (until every partition registered) and stop times, and memory per partition, by runner and partition count.</summary>
internal static class LifecycleBenchmark
{
    private const int Repeats = 3;

    public static async Task<List<LifecycleRow>> RunAsync(BenchSettings settings, IReadOnlyList<(string Name, IPartitionRunner Runner, int MaxPartitions)> runners)
    {
        var rows = new List<LifecycleRow>();
        foreach (var (name, runner, maxPartitions) in runners)
        {
            foreach (var partitions in settings.PartitionCounts.Where(p => p <= maxPartitions))
            {
                var starts = new List<double>();
                var stops = new List<double>();
                var memory = new List<double>();
                for (var i = 0; i < Repeats; i++)
                {
                    var (start, stop, perPartitionMb) = await MeasureAsync(runner, partitions);
                    starts.Add(start);
                    stops.Add(stop);
                    memory.Add(perPartitionMb);
                }

                var row = new LifecycleRow(name, partitions, Median(starts), Median(stops), Median(memory));
                Console.WriteLine($"  {name,-12} {partitions,3} partitions: start {row.StartMs,8:0.0} ms  stop {row.StopMs,8:0.0} ms  memory {row.MemoryPerPartitionMb,6:0.00} MB/partition");
                rows.Add(row);
            }
        }

        return rows;
    }

    private static async Task<(double StartMs, double StopMs, double MemoryPerPartitionMb)> MeasureAsync(IPartitionRunner runner, int partitions)
    {
        var baseline = GC.GetTotalMemory(forceFullCollection: true);
        var cluster = new Cluster<int, int>(PartitionedDataset.FromGenerator(partitions, _ => Array.Empty<int>()), BenchServer.Definition, new ClusterOptions { Runner = runner });
        var watch = Stopwatch.StartNew();
        await cluster.StartAsync();
        var start = watch.Elapsed.TotalMilliseconds;

        // Memory: in-process, what the driver's managed heap grew by (after a full collection); process runner,
        // each worker process's resident set.
        var memory = runner is InProcessRunner
            ? (GC.GetTotalMemory(forceFullCollection: true) - baseline) / 1024.0 / 1024.0 / partitions
            : WorkerMb() / partitions;

        watch.Restart();
        try
        {
            await cluster.StopAsync();
        }
        catch (ClusterStopException ex)
        {
            // Reported, not fatal: the numbers of the other runs still stand.
            Console.WriteLine($"  stop of {partitions} partitions lost some results: {ex.Message.Split(Environment.NewLine)[0]}");
        }

        var stop = watch.Elapsed.TotalMilliseconds;
        await cluster.DisposeAsync();
        return (start, stop, memory);
    }

    private static double WorkerMb()
    {
        var self = Environment.ProcessId;
        return Directory.EnumerateDirectories("/proc")
            .Select(d => int.TryParse(Path.GetFileName(d), out var pid) ? pid : 0)
            .Where(pid => pid != 0 && pid != self && ParentOf(pid) == self)
            .Sum(ResidentMb);
    }

    private static int ParentOf(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
            return 0;
        }
    }

    private static double ResidentMb(int pid)
    {
        try
        {
            var line = File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
            return double.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) / 1024;
        }
        catch (IOException)
        {
            return 0;
        }
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted[sorted.Count / 2];
    }
}

internal sealed record LifecycleRow(string Runner, int Partitions, double StartMs, double StopMs, double MemoryPerPartitionMb);
