using System.Diagnostics;
using Partitioned.Clustering;
using Partitioned.Datasets;
using Partitioned.Directories;

namespace Partitioned.Bench;

/// <summary>
/// Failure to serving again: kill -9 of one partition's worker to its next attempt registered (the coordinator's
/// Replaced change), and, on Slurm, a whole node killed to every partition it held serving again elsewhere.
/// </summary>
internal static class RecoveryBenchmark
{
    private const int WorkerKills = 5;
    private const int NodeKills = 3;

    public static async Task<RecoveryResult> WorkerKillAsync(BenchRunner runner)
    {
        // A fresh cluster for every kill: the first re-launch of a partition waits RelaunchDelay (100 ms); later ones back off longer.
        var samples = new List<double>();
        for (var kill = 0; kill < WorkerKills; kill++)
        {
            await using var cluster = new Cluster<int, int>(PartitionedDataset.FromGenerator(2, _ => Array.Empty<int>()), BenchServer.Definition, runner.Options);
            await cluster.StartAsync();
            var replaced = cluster.Directory.WaitUntilAsync(static s => s[1].Attempt == 1 && s[1].State == PartitionState.Serving, CancellationToken.None);

            var pid = WorkerProcesses.Of(cluster.Id, partition: 1).Single();
            var clock = Stopwatch.StartNew();
            using (var victim = Process.GetProcessById(pid))
            {
                victim.Kill();
            }

            await replaced.WaitAsync(TimeSpan.FromSeconds(60));
            samples.Add(clock.Elapsed.TotalMilliseconds);
            await cluster.StopAsync();
        }

        return Report(runner.Name, "kill -9 of a worker to its next attempt registered", samples);
    }

    /// <summary>Kills the node holding the most of 6 partitions, and times until each of them serves again on another node.</summary>
    public static async Task<RecoveryResult> NodeKillAsync(BenchRunner runner, Func<string, Task> killNode, Func<string, Task> startNode)
    {
        var samples = new List<double>();
        for (var kill = 0; kill < NodeKills; kill++)
        {
            await using var cluster = new Cluster<int, int>(PartitionedDataset.FromGenerator(6, _ => Array.Empty<int>()), BenchServer.Definition, runner.Options);
            await cluster.StartAsync();
            var victim = cluster.Directory.Current.Partitions.GroupBy(static p => p.Node!).OrderByDescending(static g => g.Count()).First();
            var partitions = victim.Select(static p => p.Partition).ToArray();
            var back = cluster.Directory.WaitUntilAsync(s => partitions.All(p => s[p].Attempt > 0 && s[p].State == PartitionState.Serving), CancellationToken.None);

            var clock = Stopwatch.StartNew();
            await killNode(victim.Key);
            await back.WaitAsync(TimeSpan.FromSeconds(90));
            samples.Add(clock.Elapsed.TotalMilliseconds);
            await cluster.StopAsync();
            await startNode(victim.Key);
        }

        return Report(runner.Name, "a node killed to its partitions serving again elsewhere", samples);
    }

    private static RecoveryResult Report(string runner, string what, List<double> samples)
    {
        samples.Sort();
        var result = new RecoveryResult(runner, what, samples[samples.Count / 2], samples[^1], samples);
        Console.WriteLine($"  {runner}: {what}: median {result.MedianMs:0} ms, max {result.MaxMs:0} ms over {samples.Count}");
        return result;
    }
}

internal sealed record RecoveryResult(string Runner, string What, double MedianMs, double MaxMs, IReadOnlyList<double> SamplesMs);
