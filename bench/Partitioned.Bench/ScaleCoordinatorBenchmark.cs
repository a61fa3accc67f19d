using System.Collections.Concurrent;
using System.Diagnostics;
using Partitioned.Client;
using Partitioned.Coordination;
using Partitioned.Directories;
using Partitioned.Security;

namespace Partitioned.Bench;

/// <summary>
/// The coordinator on its own with simulated partitions (issue 20, target c): fake attempts (<see cref="FakeAttempts"/>)
/// register over real HTTP and answer the coordinator's health checks over real HTTP; then remote clients
/// (<see cref="PartitionedClient"/>, each its own gRPC Watch stream) follow directory changes, each timed from the
/// coordinator's directory raising it to a client's mirror applying it (one process, one clock, loopback).
/// </summary>
internal static class ScaleCoordinatorBenchmark
{
    private const int RegisteringConcurrency = 32;

    // Between changes: what a change costs every client to apply, times 100 clients, must not queue behind the next.
    private static readonly TimeSpan s_spacing = TimeSpan.FromMilliseconds(50);

    public static async Task<ScaleCoordinatorRow> RunAsync(int partitions, int executors, int watchers, int watcherProcesses, int changes)
    {
        var token = ClusterToken.Create();
        var key = ClientKey.Create();
        const string clusterId = "scale";
        await using var fake = await FakeAttempts.StartAsync(clusterId, partitions, executors);
        using var http = new HttpClient();
        var baseline = DriverMemory.Take();
        await using var coordinator = await Coordinator.StartAsync(new CoordinatorOptions
        {
            PartitionCount = partitions,
            ClusterId = clusterId,
            Token = token,
            ClientKeys = [key],
        });
        var pending = DriverMemory.Take();
        http.BaseAddress = coordinator.Address;
        http.DefaultRequestHeaders.Authorization = token.CreateAuthorizationHeader();

        // A warm-up registration of every path (JIT) would be one of the 10,000: time them all, the first included.
        var all = coordinator.Directory.WaitUntilAsync(static s => s.IsComplete, CancellationToken.None);
        var watch = Stopwatch.StartNew();
        await Parallel.ForEachAsync(Enumerable.Range(0, partitions), new ParallelOptions { MaxDegreeOfParallelism = RegisteringConcurrency }, (p, ct) => new ValueTask(fake.RegisterAsync(http, p, ct)));
        await all;
        var registerMs = watch.Elapsed.TotalMilliseconds;
        var registered = DriverMemory.Take();
        var perPartitionKb = (registered.HeapMb - baseline.HeapMb) * 1024 / partitions;
        Console.WriteLine($"  coordinator alone: {partitions} fake partitions ({(executors == 0 ? "a process each" : $"in {executors} fake executors")}) registered over HTTP in {registerMs:0} ms " +
            $"({partitions / watch.Elapsed.TotalSeconds:0}/s, {RegisteringConcurrency} at a time); driver heap {baseline.HeapMb:0} MB before the coordinator, {pending.HeapMb:0} MB with it (all pending), " +
            $"{registered.HeapMb:0} MB all registered: {perPartitionKb:0.0} KB per partition; resident {registered.ResidentMb:0} MB");

        // Health checks run over real HTTP all along; a few intervals with every partition registered show their load.
        var checksBefore = fake.Checks;
        var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        await Task.Delay(TimeSpan.FromSeconds(3));
        var checksPerSecond = (fake.Checks - checksBefore) / 3.0;
        var cpuShare = (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalSeconds / 3.0;
        var lost = coordinator.Directory.Current.Partitions.Count(static p => p.State != PartitionState.Serving);
        Console.WriteLine($"  coordinator alone: health checks {checksPerSecond:0}/s with every partition registered (this process: {cpuShare * 100:0}% of a core, checks and answers together); {lost} not serving");

        // Remote watchers: each connects (its Watch starts with the 10,000-partition snapshot), then changes are timed. In
        // processes of their own by default, as remote clients are: 100 mirrors of 10,000 partitions in this process
        // would time this process's garbage collector, not the coordinator.
        watch.Restart();
        var raised = new ConcurrentDictionary<long, long>();
        coordinator.Directory.Changed += (_, change) => raised[change.Snapshot.Version] = Stopwatch.GetTimestamp();
        await using var remote = watcherProcesses > 0 ? await ScaleWatchers.StartAsync(coordinator.Address, key.Value, watchers, watcherProcesses) : null;
        var clients = new List<PartitionedClient>();
        var seen = new ConcurrentBag<(long Version, long At)>();
        if (remote is null)
        {
            // Five at a time, each with a long connect timeout: see ScaleWatchers.ClientOptions.
            foreach (var batch in Enumerable.Range(0, watchers).Chunk(5))
            {
                clients.AddRange(await Task.WhenAll(batch.Select(_ => PartitionedClient.ConnectAsync(coordinator.Address, key, ScaleWatchers.ClientOptions))));
            }

            foreach (var client in clients)
            {
                client.Directory.Changed += (_, change) => seen.Add((change.Snapshot.Version, Stopwatch.GetTimestamp()));
            }
        }

        var connectMs = watch.Elapsed.TotalMilliseconds;
        var withClients = DriverMemory.Take();
        var where = remote is null ? "in this process" : $"in {watcherProcesses} processes (resident {string.Join(" / ", remote.ResidentMb.Select(static m => m.ToString("0", System.Globalization.CultureInfo.InvariantCulture)))} MB)";
        Console.WriteLine($"  coordinator alone: {watchers} remote clients {where} connected and mirrored the directory in {connectMs:0} ms (five at a time per process); this process's heap {withClients.HeapMb:0} MB");
        var (pauseBefore, gen2Before) = (GC.GetTotalPauseDuration(), GC.CollectionCount(2));
        var firstTimed = coordinator.Directory.Current.Version + 1;

        // Each change: a fake attempt reports a failure (lost), then its next attempt registers (replaced): two changes.
        var rounds = (changes + 1) / 2;
        for (var round = 0; round < rounds; round++)
        {
            var partition = (round * 7919) % partitions;
            var attempt = round + 1;
            using (var failure = await http.PostAsJsonAsync("v1/failures", new { partition, attempt = attempt - 1, message = "scale benchmark: simulated failure" }))
            {
                failure.EnsureSuccessStatusCode();
            }

            // Changes apart, so each one's latency is timed rather than a queue of them on a shared 2-core machine.
            await Task.Delay(s_spacing);
            fake.SetAttempt(partition, attempt);
            await fake.RegisterAsync(http, partition, CancellationToken.None);
            await Task.Delay(s_spacing);
        }

        var target = coordinator.Directory.Current.Version;
        if (remote is not null)
        {
            foreach (var sample in await remote.CollectAsync(target))
            {
                seen.Add(sample);
            }
        }
        else
        {
            await Task.WhenAll(clients.Select(c => c.Directory.WaitUntilAsync(s => s.Version >= target, CancellationToken.None))).WaitAsync(TimeSpan.FromSeconds(60));
        }

        var (pause, gen2) = (GC.GetTotalPauseDuration() - pauseBefore, GC.CollectionCount(2) - gen2Before);
        // Only the changes made from here on are timed (health verdicts while the clients connected are not).
        var timed = raised.Keys.Count(v => v >= firstTimed && v <= target);
        var samples = seen.Where(s => s.Version >= firstTimed && raised.ContainsKey(s.Version)).Select(s => Stopwatch.GetElapsedTime(raised[s.Version], s.At).TotalMilliseconds).Order().ToList();
        var row = new ScaleCoordinatorRow(partitions, executors, registerMs, baseline.HeapMb, pending.HeapMb, registered.HeapMb, perPartitionKb, registered.ResidentMb, checksPerSecond, cpuShare,
            watchers, watcherProcesses, remote?.ResidentMb ?? [], connectMs, timed, samples.Count, Percentile(samples, 0.5), Percentile(samples, 0.99), samples[^1], pause.TotalMilliseconds, gen2);
        Console.WriteLine($"  coordinator alone: {timed} changes to {watchers} remote clients ({samples.Count} deliveries): median {row.ChangeMedianMs:0.0} ms, p99 {row.ChangeP99Ms:0.0} ms, max {row.ChangeMaxMs:0.0} ms; " +
            $"meanwhile this process paused for garbage collection {pause.TotalMilliseconds:0} ms ({gen2} full collections)");
        foreach (var client in clients)
        {
            await client.DisposeAsync();
        }

        return row;
    }

    private static double Percentile(List<double> sorted, double p) => sorted[Math.Min(sorted.Count - 1, (int)(sorted.Count * p))];
}

internal sealed record ScaleCoordinatorRow(
    int Partitions, int FakeExecutors, double RegisterMs, double HeapBeforeMb, double HeapPendingMb, double HeapRegisteredMb, double DirectoryKbPerPartition, double ResidentMb,
    double HealthChecksPerSecond, double CoordinatorCpuShare, int Watchers, int WatcherProcesses, IReadOnlyList<double> WatcherResidentMb, double WatchersConnectMs, int Changes, int Deliveries, double ChangeMedianMs, double ChangeP99Ms, double ChangeMaxMs, double GcPauseMs, int FullCollections);
