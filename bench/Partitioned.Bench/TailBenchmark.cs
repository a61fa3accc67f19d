using System.Diagnostics;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Partitioned.Coordination;
using Partitioned.Routing;

namespace Partitioned.Bench;

/// <summary>
/// Tail latency of scatter-gather with one slow-but-alive replica per partition: 16 partitions x 2 replicas (real
/// Kestrel servers in this process), replica 0 of every partition stalls 100 ms on 2% of its calls. Scatter-gather
/// over all 16 through the per-partition clients, several callers at once, with each routing setup in turn (round
/// robin as today, adaptive, hedged, adaptive and hedged), in interleaved rounds so a shared machine's noise falls on
/// all alike; a fault-free round robin run as the reference. Then a replica joining under load: its share of its
/// partition's requests in its first 10 s.
/// </summary>
internal static class TailBenchmark
{
    private const int Partitions = 16;
    private const int Callers = 4;
    private const double StallChance = 0.02;
    private static readonly TimeSpan s_stall = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan s_joinWindow = TimeSpan.FromSeconds(10);

    private static readonly (string Name, string Policy, bool Hedged, bool Stalls)[] s_setups =
    [
        ("round robin, no stalls (reference)", LoadBalancingPolicies.RoundRobin, false, false),
        ("round robin (today's default)", LoadBalancingPolicies.RoundRobin, false, true),
        ("adaptive", LoadBalancingPolicies.Adaptive, false, true),
        ("round robin + hedging", LoadBalancingPolicies.RoundRobin, true, true),
        ("adaptive + hedging", LoadBalancingPolicies.Adaptive, true, true),
    ];

    public static async Task<TailReport> RunAsync(TimeSpan duration, int rounds)
    {
        var replicas = new List<Replica>();
        try
        {
            for (var i = 0; i < Partitions * 2; i++)
            {
                replicas.Add(await Replica.StartAsync(stalls: i % 2 == 0));
            }

            var samples = s_setups.Select(static _ => new List<double>()).ToArray();
            var counts = new long[s_setups.Length, 7];
            for (var round = 0; round < rounds; round++)
            {
                for (var s = 0; s < s_setups.Length; s++)
                {
                    var (name, policy, hedged, stalls) = s_setups[s];
                    Replica.Stalling = stalls;
                    var result = await ScatterLoadAsync(replicas, policy, hedged, duration);
                    samples[s].AddRange(result.LatenciesMs);
                    counts[s, 0] += result.Scatters;
                    counts[s, 1] += result.Sent;
                    counts[s, 2] += result.Failed;
                    counts[s, 3] += result.Hedges;
                    counts[s, 4] += result.HedgesWon;
                    counts[s, 5] += result.HedgesDenied;
                    counts[s, 6] += result.Stalls;
                    Console.WriteLine($"  round {round + 1}, {name}: {result.Scatters} scatter-gathers, p99 {LoadLoop.Percentile(result.LatenciesMs, 99):0.0} ms, {result.Stalls} stalls, {result.Hedges} hedges ({result.HedgesWon} won, {result.HedgesDenied} refused by the budget)");
                }
            }

            var rows = s_setups.Select((setup, s) => new TailRow(
                setup.Name,
                setup.Policy,
                setup.Hedged,
                counts[s, 0],
                LoadLoop.Percentile(samples[s], 50),
                LoadLoop.Percentile(samples[s], 99),
                LoadLoop.Percentile(samples[s], 99.9),
                100.0 * (counts[s, 1] - (counts[s, 0] * Partitions)) / (counts[s, 0] * Partitions),
                counts[s, 2],
                counts[s, 3],
                counts[s, 4],
                counts[s, 5],
                counts[s, 6])).ToList();

            Replica.Stalling = true;
            var joins = new List<JoinRow>();
            foreach (var policy in new[] { LoadBalancingPolicies.RoundRobin, LoadBalancingPolicies.Adaptive })
            {
                joins.Add(await JoinAsync(replicas, policy, hedged: policy == LoadBalancingPolicies.Adaptive));
            }

            return new TailReport(Partitions, 2, Callers, StallChance, s_stall.TotalMilliseconds, duration.TotalSeconds, rounds, rows, joins);
        }
        finally
        {
            foreach (var replica in replicas)
            {
                await replica.DisposeAsync();
            }
        }
    }

    private static PartitionDirectory Directory(List<Replica> replicas, bool withJoiner)
    {
        var directory = new PartitionDirectory(Partitions, 2);
        for (var p = 0; p < Partitions; p++)
        {
            for (var r = 0; r < 2; r++)
            {
                directory.Admit(p, r, r, version: 0);
                if (withJoiner || p != 0 || r != 1)
                {
                    directory.Register(p, r, replicas[(p * 2) + r].Endpoint);
                }
            }
        }

        return directory;
    }

    private static PartitionClients Clients(PartitionDirectory directory, string policy, bool hedged) =>
        new(directory, TimeSpan.FromSeconds(30), policy: policy, hedging: hedged ? new HedgingOptions() : null);

    private static async Task<LoadResult> ScatterLoadAsync(List<Replica> replicas, string policy, bool hedged, TimeSpan duration)
    {
        using var clients = Clients(Directory(replicas, withJoiner: true), policy, hedged);

        // Warm-up: connections, JIT, and the statistics adaptive selection and hedging learn from.
        await RunCallersAsync(clients, TimeSpan.FromSeconds(1), null);
        var sentBefore = replicas.Sum(static r => r.Hits);
        var hedgesBefore = clients.Loop.Hedger?.Sent ?? 0;
        var wonBefore = clients.Loop.Hedger?.Won ?? 0;
        var deniedBefore = clients.Loop.Hedger?.Denied ?? 0;
        var latencies = new List<double>();
        Interlocked.Exchange(ref Replica.Stalls, 0);
        var failed = await RunCallersAsync(clients, duration, latencies);
        var stalls = Interlocked.Exchange(ref Replica.Stalls, 0);
        return new LoadResult(
            latencies,
            latencies.Count,
            replicas.Sum(static r => r.Hits) - sentBefore,
            failed,
            (clients.Loop.Hedger?.Sent ?? 0) - hedgesBefore,
            (clients.Loop.Hedger?.Won ?? 0) - wonBefore,
            (clients.Loop.Hedger?.Denied ?? 0) - deniedBefore,
            stalls);
    }

    // Callers scatter-gathering over every partition until the time is up; returns the partition answers that failed.
    private static async Task<long> RunCallersAsync(PartitionClients clients, TimeSpan duration, List<double>? latencies)
    {
        var failed = 0L;
        var options = new ScatterOptions { PerPartitionTimeout = TimeSpan.FromSeconds(10) };
        var json = new JsonSerializerOptions();
        var end = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, Callers).Select(async _ =>
        {
            while (end.Elapsed < duration)
            {
                var started = Stopwatch.GetTimestamp();
                var result = await clients.ScatterGetAsync<int>("work", options, json, CancellationToken.None);
                var elapsed = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                Interlocked.Add(ref failed, result.Failures.Count);
                if (latencies is not null)
                {
                    lock (latencies)
                    {
                        latencies.Add(elapsed);
                    }
                }
            }
        }));
        return failed;
    }

    // A replica of partition 0 joins under load: what share of partition 0's requests it takes in its first 10 s.
    private static async Task<JoinRow> JoinAsync(List<Replica> replicas, string policy, bool hedged)
    {
        var directory = Directory(replicas, withJoiner: false);
        using var clients = Clients(directory, policy, hedged);
        var load = RunCallersAsync(clients, TimeSpan.FromSeconds(4) + s_joinWindow, null);
        await Task.Delay(TimeSpan.FromSeconds(3));
        var joiner = replicas[1];
        var sibling = replicas[0];
        var (joinerBefore, siblingBefore) = (joiner.Hits, sibling.Hits);
        directory.Register(0, 1, joiner.Endpoint);
        await Task.Delay(TimeSpan.FromSeconds(1));
        var firstSecond = joiner.Hits - joinerBefore;
        var firstSecondSibling = sibling.Hits - siblingBefore;
        await load;
        var joined = joiner.Hits - joinerBefore;
        var total = joined + (sibling.Hits - siblingBefore);
        var share = total == 0 ? 0 : (double)joined / total;
        var firstShare = firstSecond + firstSecondSibling == 0 ? 0 : (double)firstSecond / (firstSecond + firstSecondSibling);
        Console.WriteLine($"  join, {policy}{(hedged ? " + hedging" : string.Empty)}: new replica took {share:P1} of partition 0 in ~10 s ({firstShare:P1} in its first second)");
        return new JoinRow(policy, hedged, total, share, share / 0.5, firstShare);
    }

    /// <summary>One Kestrel replica answering <c>GET /app/work</c> with <c>1</c>; a stalling one waits 100 ms on 2% of calls.</summary>
    private sealed class Replica : IAsyncDisposable
    {
        private readonly WebApplication _app;
        private readonly bool _stalls;
        private long _hits;
        private int _inFlight;

        private Replica(WebApplication app, bool stalls)
        {
            _app = app;
            _stalls = stalls;
        }

        public static long Stalls;

        /// <summary>Whether stalling replicas stall now (off for the fault-free reference).</summary>
        public static bool Stalling { get; set; }

        public Uri Endpoint { get; private set; } = null!;

        public long Hits => Interlocked.Read(ref _hits);

        public static async Task<Replica> StartAsync(bool stalls)
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            var app = builder.Build();
            var replica = new Replica(app, stalls);
            app.MapGet("/app/work", replica.AnswerAsync);
            await app.StartAsync();
            replica.Endpoint = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().TrimEnd('/') + "/");
            return replica;
        }

        public async ValueTask DisposeAsync()
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }

        private async Task AnswerAsync(HttpContext context)
        {
            Interlocked.Increment(ref _hits);

            // What a serving partition reports: requests waiting behind this one.
            context.Response.Headers[ReplicaRanks.QueueHeader] = (Interlocked.Increment(ref _inFlight) - 1).ToString(System.Globalization.CultureInfo.InvariantCulture);
            try
            {
                if (_stalls && Stalling && Random.Shared.NextDouble() < StallChance)
                {
                    Interlocked.Increment(ref Stalls);
                    await Task.Delay(s_stall, context.RequestAborted);
                }

                context.Response.ContentType = "application/json";
                await context.Response.WriteAsync("1", context.RequestAborted);
            }
            catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
            {
                // A hedge's loser, cancelled.
            }
            finally
            {
                Interlocked.Decrement(ref _inFlight);
            }
        }
    }

    private sealed record LoadResult(List<double> LatenciesMs, long Scatters, long Sent, long Failed, long Hedges, long HedgesWon, long HedgesDenied, long Stalls);
}

internal sealed record TailRow(string Setup, string Policy, bool Hedged, long ScatterGathers, double P50Ms, double P99Ms, double P999Ms, double ExtraRequestsPercent, long Non200, long Hedges, long HedgesWon, long HedgesRefused, long Stalls);

internal sealed record JoinRow(string Policy, bool Hedged, long PartitionRequests, double NewReplicaShare, double ShareOverFair, double FirstSecondShare);

internal sealed record TailReport(int Partitions, int Replicas, int Callers, double StallChance, double StallMs, double SecondsPerRun, int Rounds, List<TailRow> Rows, List<JoinRow> Joins);
