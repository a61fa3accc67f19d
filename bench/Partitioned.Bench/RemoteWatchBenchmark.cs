using System.Collections.Concurrent;
using System.Diagnostics;
using Partitioned.Client;
using Partitioned.Datasets;
using Partitioned.Directories;
using Partitioned.Security;
using Clustering = Partitioned.Clustering;

namespace Partitioned.Bench;

/// <summary>
/// How soon a remote client (Partitioned.Client, over the coordinator's gRPC Watch stream) sees a change after the
/// coordinator learned it: kill -9 of a worker, then its re-launch, each change timed from the coordinator's directory
/// raising it to the client's mirror applying it (one process, one clock, loopback).
/// </summary>
internal static class RemoteWatchBenchmark
{
    // The first kill warms up (JIT of the client's and the coordinator's paths) and is not counted.
    private const int Kills = 6;

    public static async Task<RecoveryResult> RunAsync()
    {
        var key = ClientKey.Create();
        var options = new Clustering.ClusterOptions { Runner = new Clustering.ProcessRunner(), ClientKeys = [key] };
        var samples = new List<double>();
        for (var kill = 0; kill < Kills; kill++)
        {
            await using var cluster = new Clustering.Cluster<int, int>(PartitionedDataset.FromGenerator(2, _ => Array.Empty<int>()), BenchServer.Definition, options);
            var learned = new ConcurrentDictionary<long, long>();
            cluster.PartitionChanged += (_, change) => learned[change.Snapshot.Version] = Stopwatch.GetTimestamp();
            await cluster.StartAsync();
            await using var client = await PartitionedClient.ConnectAsync(cluster.CoordinatorAddress, key.Value);
            var seen = new ConcurrentDictionary<long, long>();
            client.Directory.Changed += (_, change) => seen[change.Snapshot.Version] = Stopwatch.GetTimestamp();
            var back = client.Directory.WaitUntilAsync(static s => s[1].Attempt == 1 && s[1].State == PartitionState.Serving, CancellationToken.None);

            using (var victim = Process.GetProcessById(WorkerProcesses.Of(cluster.Id, partition: 1).Single()))
            {
                victim.Kill();
            }

            await back.WaitAsync(TimeSpan.FromSeconds(60));
            foreach (var (version, at) in kill == 0 ? [] : seen)
            {
                if (learned.TryGetValue(version, out var origin))
                {
                    samples.Add(Stopwatch.GetElapsedTime(origin, at).TotalMilliseconds);
                }
            }

            await cluster.StopAsync();
        }

        samples.Sort();
        var result = new RecoveryResult("process", "a change (lost, re-launched) from the coordinator to a remote client's directory", samples[samples.Count / 2], samples[^1], samples);
        Console.WriteLine($"  remote client: {result.What}: median {result.MedianMs:0.0} ms, max {result.MaxMs:0.0} ms over {samples.Count} changes");
        return result;
    }
}
