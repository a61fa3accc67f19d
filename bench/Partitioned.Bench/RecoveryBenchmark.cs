using System.Diagnostics;
using Partitioned.Clustering;
using Partitioned.Coordination;

namespace Partitioned.Bench;

/// <summary>kill -9 of one partition's worker process, to its next attempt registered (the coordinator's Replaced change).</summary>
internal static class RecoveryBenchmark
{
    private const int Kills = 5;

    public static async Task<RecoveryResult> RunAsync()
    {
        // A fresh cluster for every kill: the first re-launch of a partition waits RelaunchDelay (100 ms); later ones back off longer.
        var samples = new List<double>();
        for (var kill = 0; kill < Kills; kill++)
        {
            await using var cluster = new Cluster<int, int>(
                PartitionedDataset.FromGenerator(2, _ => Array.Empty<int>()),
                BenchServer.Definition,
                new ClusterOptions { Runner = new ProcessRunner() });
            await cluster.StartAsync();
            var replaced = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            cluster.PartitionChanged += (_, change) =>
            {
                if (change.Partition == 1 && change.Kind == PartitionChangeKind.Replaced)
                {
                    replaced.TrySetResult();
                }
            };

            var pid = WorkerPid(cluster.Hosts[1].Port);
            var clock = Stopwatch.StartNew();
            using (var victim = Process.GetProcessById(pid))
            {
                victim.Kill();
            }

            await replaced.Task.WaitAsync(TimeSpan.FromSeconds(30));
            samples.Add(clock.Elapsed.TotalMilliseconds);
            await cluster.StopAsync();
        }

        samples.Sort();
        var result = new RecoveryResult(samples[samples.Count / 2], samples[^1], samples);
        Console.WriteLine($"  kill -9 to re-registered: median {result.MedianMs:0} ms, max {result.MaxMs:0} ms over {Kills} kills");
        return result;
    }

    /// <summary>The worker process listening on a port (from /proc/net/tcp and the processes' socket descriptors).</summary>
    private static int WorkerPid(int port)
    {
        var hex = port.ToString("X4", System.Globalization.CultureInfo.InvariantCulture);
        var inode = File.ReadLines("/proc/net/tcp").Skip(1)
            .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .First(cells => cells[1].EndsWith(":" + hex, StringComparison.Ordinal) && cells[3] == "0A")[9];
        foreach (var process in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(process), out var pid))
            {
                continue;
            }

            try
            {
                if (Directory.EnumerateFileSystemEntries(Path.Combine(process, "fd")).Any(fd => new FileInfo(fd).LinkTarget == $"socket:[{inode}]"))
                {
                    return pid;
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
            }
        }

        throw new InvalidOperationException($"No process listens on port {port}.");
    }
}

internal sealed record RecoveryResult(double MedianMs, double MaxMs, IReadOnlyList<double> SamplesMs);
