using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Json;
using Partitioned.Clustering;
using Partitioned.Datasets;
using Partitioned.Directories;
using Partitioned.Serving;

namespace Partitioned.Bench;

/// <summary>
/// Autoscaling per partition: a 4x load step on one partition (how long until its new replica serves, against how
/// long a worker takes to start), a square wave (steps per period, with the default hysteresis scaled to 1/10 of its
/// times, side by side with a policy without hysteresis), and repeated scale-downs under load (answers that were not 2xx).
/// Load goes to partition 0 through the driver's per-partition client ("sleep", not idempotent: nothing is resent).
/// </summary>
internal static class AutoscaleBenchmark
{
    public static async Task<AutoscaleReport> RunAsync(int scaleDowns)
    {
        var step = await LoadStepAsync();
        Console.WriteLine($"  load step x4 on partition 0 (process runner): decided after {step.DecisionSeconds:0.00} s, new replica launched to serving {step.ReplicaStartSeconds:0.00} s (StartAsync of the 2-partition cluster, 2 workers at once: {step.ClusterStartSeconds:0.00} s), step to serving {step.StepToServingSeconds:0.00} s; partition 1 steps {step.OtherPartitionSteps}; not 2xx {step.NotOk} of {step.Requests}");
        var waves = new List<SquareWaveRow>
        {
            await SquareWaveAsync("defaults / 10 (window 1 s, up after 2, down after 6, cooldown 3 s)", new AutoscaleOptions { MaxReplicas = 4, TargetInFlight = 4, Window = TimeSpan.FromSeconds(1), ScaleUpWindows = 2, ScaleDownWindows = 6, Cooldown = TimeSpan.FromSeconds(3), RetireGrace = TimeSpan.FromMilliseconds(200) }),
            await SquareWaveAsync("no hysteresis (window 1 s, up after 1, down after 1, no cooldown)", new AutoscaleOptions { MaxReplicas = 4, TargetInFlight = 4, Window = TimeSpan.FromSeconds(1), ScaleUpWindows = 1, ScaleDownWindows = 1, Cooldown = TimeSpan.Zero, RetireGrace = TimeSpan.FromMilliseconds(200) }),
        };
        foreach (var wave in waves)
        {
            Console.WriteLine($"  square wave, {wave.Periods} periods of {wave.PeriodSeconds} s, {wave.Policy}: ups per period max {wave.MaxUpsPerPeriod}, downs per period max {wave.MaxDownsPerPeriod}, steps {wave.Steps}; not 2xx {wave.NotOk} of {wave.Requests}");
        }

        var downs = await RepeatedScaleDownsAsync(scaleDowns);
        Console.WriteLine($"  {downs.ScaleDowns} scale-downs under load (in-process): not 2xx {downs.NotOk}, connection errors {downs.Errors}, of {downs.Requests} requests in {downs.Seconds:0} s");
        return new AutoscaleReport(step, waves, downs);
    }

    private static async Task<LoadStepRow> LoadStepAsync()
    {
        var options = new ClusterOptions
        {
            Runner = new ProcessRunner(),
            HealthCheckInterval = TimeSpan.FromMilliseconds(250),
            Autoscale = new AutoscaleOptions { MaxReplicas = 3, TargetInFlight = 4, Window = TimeSpan.FromSeconds(1), ScaleUpWindows = 2, ScaleDownWindows = 600, Cooldown = TimeSpan.FromSeconds(2), RetireGrace = TimeSpan.FromMilliseconds(500) },
        };
        var clock = Stopwatch.StartNew();
        await using var serving = await StartAsync(options);
        var firstStart = clock.Elapsed.TotalSeconds;
        var changes = Record(serving.Cluster.Directory, clock);
        await using var hot = new Callers(serving.Cluster.GetClient(0), 200);
        await using var other = new Callers(serving.Cluster.GetClient(1), 200);
        hot.SetCount(3);
        other.SetCount(3);
        await Task.Delay(TimeSpan.FromSeconds(5));

        var stepAt = clock.Elapsed.TotalSeconds;
        hot.SetCount(12);
        await serving.Cluster.Directory.WaitUntilAsync(static s => s[0].ServingReplicas >= 2, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(120));
        await Task.Delay(TimeSpan.FromSeconds(5));
        await hot.StopAsync();
        await other.StopAsync();

        var opened = changes.First(static c => c.Change.Partition == 0 && c.Change.Kind == PartitionChangeKind.ScaledUp);
        var registered = changes.First(c => c.Change.Partition == 0 && c.Change.Replica!.Replica == opened.Change.Replica!.Replica && c.Change.Replica.State == PartitionState.Serving && c.At >= opened.At);
        return new LoadStepRow(
            firstStart,
            opened.At - stepAt,
            registered.At - opened.At,
            registered.At - stepAt,
            changes.Count(static c => c.Change.Partition == 1 && c.Change.Kind is PartitionChangeKind.ScaledUp or PartitionChangeKind.Retiring),
            hot.Requests + other.Requests,
            hot.NotOk + other.NotOk);
    }

    private static async Task<SquareWaveRow> SquareWaveAsync(string policy, AutoscaleOptions autoscale)
    {
        const int Periods = 10;
        var period = TimeSpan.FromSeconds(6);
        await using var serving = await StartAsync(new ClusterOptions { HealthCheckInterval = TimeSpan.FromMilliseconds(100), Autoscale = autoscale });
        var clock = Stopwatch.StartNew();
        var changes = Record(serving.Cluster.Directory, clock);
        await using var callers = new Callers(serving.Cluster.GetClient(0), 100);
        for (var i = 0; i < Periods * 2; i++)
        {
            // High half: about 12 in flight (3 replicas' worth at the target of 4); low half: about 1.
            callers.SetCount(i % 2 == 0 ? 12 : 1);
            await Task.Delay((period / 2 * (i + 1)) - clock.Elapsed is { } wait && wait > TimeSpan.Zero ? wait : TimeSpan.Zero);
        }

        await callers.StopAsync();
        var ups = new int[Periods];
        var downs = new int[Periods];
        foreach (var (at, change) in changes.Where(static c => c.Change.Partition == 0))
        {
            var index = Math.Min(Periods - 1, (int)(at / period.TotalSeconds));
            if (change.Kind == PartitionChangeKind.ScaledUp)
            {
                ups[index]++;
            }
            else if (change.Kind == PartitionChangeKind.Retiring)
            {
                downs[index]++;
            }
        }

        return new SquareWaveRow(policy, Periods, period.TotalSeconds, ups.Max(), downs.Max(), ups.Sum() + downs.Sum(), callers.Requests, callers.NotOk);
    }

    private static async Task<ScaleDownRow> RepeatedScaleDownsAsync(int scaleDowns)
    {
        var autoscale = new AutoscaleOptions { MaxReplicas = 3, TargetInFlight = 2, Window = TimeSpan.FromMilliseconds(250), ScaleUpWindows = 2, ScaleDownWindows = 3, Cooldown = TimeSpan.FromMilliseconds(300), RetireGrace = TimeSpan.FromMilliseconds(200) };
        await using var serving = await StartAsync(new ClusterOptions { HealthCheckInterval = TimeSpan.FromMilliseconds(100), Autoscale = autoscale });
        var clock = Stopwatch.StartNew();
        var changes = Record(serving.Cluster.Directory, clock);
        await using var callers = new Callers(serving.Cluster.GetClient(0), 50);
        int Retired() => changes.Count(static c => c.Change.Partition == 0 && c.Change.Kind == PartitionChangeKind.Retiring);
        while (Retired() < scaleDowns && clock.Elapsed < TimeSpan.FromMinutes(5))
        {
            // Up to 3 replicas under 8 callers, then down to 1 under 1 caller: every scale-down happens while requests flow.
            callers.SetCount(8);
            await serving.Cluster.Directory.WaitUntilAsync(static s => s[0].ServingReplicas == 3, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(60));
            callers.SetCount(1);
            await serving.Cluster.Directory.WaitUntilAsync(static s => s[0].ServingReplicas == 1, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(60));
        }

        await Task.Delay(TimeSpan.FromSeconds(1));
        await callers.StopAsync();
        return new ScaleDownRow(Retired(), callers.Requests, callers.NotOk, callers.Errors, clock.Elapsed.TotalSeconds);
    }

    private static Task<ServingCluster<int, int>> StartAsync(ClusterOptions options) =>
        ServingCluster.StartAsync(PartitionedDataset.FromGenerator(2, _ => Array.Empty<int>()), BenchServer.Definition, new ServingOptions(), options);

    private static ConcurrentQueue<(double At, PartitionChange Change)> Record(IPartitionDirectory directory, Stopwatch clock)
    {
        var changes = new ConcurrentQueue<(double, PartitionChange)>();
        directory.Changed += (_, change) => changes.Enqueue((clock.Elapsed.TotalSeconds, change));
        return changes;
    }

    /// <summary>Closed-loop callers on one partition's client; their number changes while they run.</summary>
    private sealed class Callers(HttpClient client, int ms) : IAsyncDisposable
    {
        private readonly List<(Task Loop, CancellationTokenSource Stop)> _loops = [];
        private long _requests;
        private long _notOk;
        private long _errors;

        public long Requests => Interlocked.Read(ref _requests);

        public long NotOk => Interlocked.Read(ref _notOk) + Interlocked.Read(ref _errors);

        public long Errors => Interlocked.Read(ref _errors);

        public void SetCount(int count)
        {
            while (_loops.Count < count)
            {
                var stop = new CancellationTokenSource();
                _loops.Add((Task.Run(() => LoopAsync(stop.Token)), stop));
            }

            while (_loops.Count > count)
            {
                // The caller finishes the request it has under way: only sending stops.
                _loops[^1].Stop.Cancel();
                _loops.RemoveAt(_loops.Count - 1);
            }
        }

        public async Task StopAsync()
        {
            var loops = _loops.Select(static l => l.Loop).ToList();
            SetCount(0);
            await Task.WhenAll(loops);
        }

        public async ValueTask DisposeAsync() => await StopAsync();

        private async Task LoopAsync(CancellationToken stop)
        {
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    using var response = await client.PostAsJsonAsync("../serve/sleep", new SleepRequest(ms), CancellationToken.None);
                    Interlocked.Increment(ref _requests);
                    if ((int)response.StatusCode is < 200 or > 299)
                    {
                        Interlocked.Increment(ref _notOk);
                    }
                }
                catch (HttpRequestException)
                {
                    Interlocked.Increment(ref _requests);
                    Interlocked.Increment(ref _errors);
                }
            }
        }
    }
}

internal sealed record AutoscaleReport(LoadStepRow LoadStep, List<SquareWaveRow> SquareWaves, ScaleDownRow ScaleDowns);

internal sealed record LoadStepRow(double ClusterStartSeconds, double DecisionSeconds, double ReplicaStartSeconds, double StepToServingSeconds, int OtherPartitionSteps, long Requests, long NotOk);

internal sealed record SquareWaveRow(string Policy, int Periods, double PeriodSeconds, int MaxUpsPerPeriod, int MaxDownsPerPeriod, int Steps, long Requests, long NotOk);

internal sealed record ScaleDownRow(int ScaleDowns, long Requests, long NotOk, long Errors, double Seconds);
