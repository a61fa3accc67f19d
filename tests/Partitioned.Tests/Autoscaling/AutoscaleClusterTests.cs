using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Partitioned.Clustering;
using Partitioned.Directories;
using Partitioned.Serving;
using Xunit.Abstractions;

namespace Partitioned.Tests.Autoscaling;

/// <summary>
/// Autoscaling on real servers (Kestrel on port 0, real HTTP): the loaded partition alone scales up, a new replica joins
/// routing only once it initialised and registered, scale-down under load drops nothing, bounds hold, bad options are refused.
/// </summary>
public sealed class AutoscaleClusterTests(ITestOutputHelper output) : IDisposable
{
    private readonly (ILoggerFactory Factory, CapturingLoggerProvider Logs) _logging = TestLogging.Create(output, LogLevel.Information);

    public void Dispose() => _logging.Factory.Dispose();

    [Fact]
    public async Task Autoscale_LoadOnOnePartition_OnlyThatPartitionScalesUp_UpToMaxReplicas()
    {
        var settings = new ServingTestSettings { InitDelay = TimeSpan.FromMilliseconds(500) };
        // Scale-down would take 20 windows (8 s): a busy machine that starves the callers for a moment does not undo a step.
        await using var serving = await StartAsync(settings, replicas: 1, scaleDownWindows: 20);
        var changes = Record(serving.Cluster.Directory);

        // 8 callers on partition 0 with 300 ms requests: about 8 in flight against a target of 2 per replica.
        await using var load = SteadyLoad.Start(serving.Cluster.GetClient(0), "../serve/version-once", new { ms = 300 }, loops: 8);
        using (var ready = new CancellationTokenSource(TimeSpan.FromSeconds(60)))
        {
            await serving.Cluster.Directory.WaitUntilAsync(static s => s[0].ServingReplicas == 3, ready.Token);
        }

        await load.WaitForAnswersAsync(30, TimeSpan.FromSeconds(30));
        await load.StopAsync();

        var snapshot = serving.Cluster.Directory.Current;
        snapshot[0].Replicas.Should().HaveCount(3, "MaxReplicas is 3: there are no more slots").And.OnlyContain(static r => r.State == PartitionState.Serving);
        snapshot[1].Replicas.Count(static r => r.State == PartitionState.Serving).Should().Be(1, "partition 1 carried no load");
        changes.Should().NotContain(static c => c.Partition == 1 && c.Kind == PartitionChangeKind.ScaledUp);
        load.Errors.Should().BeEmpty();
        load.Answers.Should().OnlyContain(static a => a.Status == 200);
        load.Answers.Select(static a => a.Reply!.Replica).Distinct().Should().BeEquivalentTo([0, 1, 2], "the new replicas take their share");

        // Each new replica was opened, then initialised (500 ms), and only registered (joined routing) after that.
        foreach (var slot in new[] { 1, 2 })
        {
            var opened = changes.Single(c => c.Partition == 0 && c.Kind == PartitionChangeKind.ScaledUp && c.Replica!.Replica == slot);
            var registered = changes.First(c => c.Partition == 0 && c.Kind is PartitionChangeKind.Registered or PartitionChangeKind.Replaced && c.Replica!.Replica == slot && c.Snapshot.Version > opened.Snapshot.Version);
            opened.Replica!.State.Should().Be(PartitionState.Pending, "a slot opened for a new replica takes no requests yet");
            (registered.Replica!.Since - opened.Replica.Since).Should().BeGreaterThanOrEqualTo(TimeSpan.FromMilliseconds(450), "it registers only once initialised");
        }

        _logging.Logs.Text.Should().Contain("Autoscaling: partition 0 averaged");
    }

    [Fact]
    public async Task Autoscale_ScaleDownUnderLoad_NoRequestFails_AndRetiredReplicasDrainAndSucceed()
    {
        using var listener = new System.Diagnostics.Metrics.MeterListener();
        var steps = new ConcurrentQueue<(string Instrument, string? Cluster, string? Direction)>();
        listener.InstrumentPublished = static (instrument, l) =>
        {
            if (instrument.Meter.Name == ClusterTelemetry.MeterName && instrument.Name.StartsWith("partitioned.cluster.autoscale", StringComparison.Ordinal))
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        void OnMeasurement(System.Diagnostics.Metrics.Instrument instrument, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            string? cluster = null, direction = null;
            foreach (var tag in tags)
            {
                cluster = tag.Key == ClusterTelemetry.ClusterIdAttribute ? (string?)tag.Value : cluster;
                direction = tag.Key == ClusterTelemetry.AutoscaleDirectionAttribute ? (string?)tag.Value : direction;
            }

            steps.Enqueue((instrument.Name, cluster, direction));
        }

        listener.SetMeasurementEventCallback<long>((i, _, tags, _) => OnMeasurement(i, tags));
        listener.SetMeasurementEventCallback<double>((i, _, tags, _) => OnMeasurement(i, tags));
        listener.Start();
        await using var serving = await StartAsync(new ServingTestSettings(), replicas: 3);
        var changes = Record(serving.Cluster.Directory);

        // One caller with 50 ms requests: about 1 in flight, under the target of 2 even on one replica, so partition 0
        // goes from 3 replicas to 1 (MinReplicas) while requests keep flowing. Not idempotent: nothing may be resent.
        await using var load = SteadyLoad.Start(serving.Cluster.GetClient(0), "../serve/version-once", new { ms = 50 }, loops: 1);
        using (var ready = new CancellationTokenSource(TimeSpan.FromSeconds(60)))
        {
            await serving.Cluster.Directory.WaitUntilAsync(static s => s[0].ServingReplicas == 1 && s[1].ServingReplicas == 1, ready.Token);
        }

        var retired = changes.Where(static c => c.Partition == 0 && c.Kind == PartitionChangeKind.Retiring).Select(static c => c.PreviousReplica!).ToList();
        retired.Should().HaveCount(2);
        await Eventually.TrueAsync(
            () => retired.All(r => serving.Cluster.Attempts.Any(a => a.Partition == 0 && a.Attempt == r.Attempt)),
            "both retired replicas' attempts ended",
            TimeSpan.FromSeconds(30));
        await load.WaitForAnswersAsync(10, TimeSpan.FromSeconds(30));
        await load.StopAsync();

        output.WriteLine($"{load.Answers.Count} answers during the scale-downs");
        load.Errors.Should().BeEmpty();
        load.Answers.Should().OnlyContain(static a => a.Status == 200, "a replica leaves routing before it drains, and drains what it holds");
        serving.Cluster.Attempts.Where(a => a.Partition == 0 && retired.Any(r => r.Attempt == a.Attempt))
            .Should().OnlyContain(static a => a.Status == AttemptStatus.Succeeded, "a retired replica drained cleanly and handed back results");
        var final = serving.Cluster.Directory.Current[0].Replicas;
        final.Count(static r => r.State == PartitionState.Retired).Should().Be(2);
        final[0].State.Should().Be(PartitionState.Serving, "the highest slots are retired first");
        _logging.Logs.Text.Should().Contain("left routing at directory version").And.Contain("drained and stopped").And.NotContain("Watch stream was handed");

        // The decisions are in the metrics and on the dashboard too: partition 0's two, and partition 1's (idle) two.
        var id = serving.Cluster.Id;
        await Eventually.TrueAsync(() => steps.Count(m => m.Cluster == id && m.Instrument == ClusterTelemetry.AutoscaleStepDuration) == 4, "every retired replica stopped", TimeSpan.FromSeconds(30));
        steps.Where(m => m.Cluster == id && m.Instrument == ClusterTelemetry.AutoscaleSteps).Select(static m => m.Direction).Should().Equal("down", "down", "down", "down");
        steps.Where(m => m.Cluster == id && m.Instrument == ClusterTelemetry.AutoscaleStepDuration).Should().HaveCount(4);
        using (var stats = new ServingStats(TimeProvider.System, () => serving.Cluster.Directory.Current))
        {
            var dashboard = DashboardSnapshot.Of(serving.Cluster, stats, 10);
            dashboard.Scaling.Should().HaveCount(4).And.OnlyContain(static e => e.Direction == "down" && e.Outcome == "retired");
            dashboard.Scaling.Count(static e => e.Partition == 0).Should().Be(2);
            dashboard.Partitions[0].Replicas.Select(static r => r.State).Should().Equal("serving", "retired", "retired");
        }

        var results = await serving.StopAsync();
        (await results.CollectAsync()).Should().HaveCount(8, "the partitions' results are whole");
    }

    [Fact]
    public async Task Autoscale_WorkerProcesses_RetiredReplicasDrain_AndTheirWorkersEndAsSucceeded()
    {
        // No load at all: both partitions go from 2 replicas to 1, each retired worker draining through the worker routes.
        await using var serving = await ServingCluster.StartAsync(
            TestClusters.Integers(8, 2),
            TestServers.ServingWith(),
            new ServingOptions { Deadline = TimeSpan.FromSeconds(30) },
            TestClusters.Options(_logging.Factory, TestWorkers.Runner()) with
            {
                Replicas = 2,
                HealthCheckInterval = TimeSpan.FromMilliseconds(100),
                Autoscale = new AutoscaleOptions { MaxReplicas = 2, TargetInFlight = 2, Window = TimeSpan.FromMilliseconds(400), ScaleDownWindows = 3, Cooldown = TimeSpan.FromMilliseconds(400), RetireGrace = TimeSpan.FromMilliseconds(200) },
            });
        var retired = new ConcurrentQueue<(int Partition, int Attempt)>();
        serving.Cluster.Directory.Changed += (_, change) =>
        {
            if (change.Kind == PartitionChangeKind.Retiring)
            {
                retired.Enqueue((change.Partition, change.PreviousReplica!.Attempt));
            }
        };

        using (var done = new CancellationTokenSource(TimeSpan.FromSeconds(60)))
        {
            await serving.Cluster.Directory.WaitUntilAsync(static s => s.Partitions.All(static p => p.ServingReplicas == 1), done.Token);
        }

        await Eventually.TrueAsync(() => retired.Count == 2 && retired.All(r => serving.Cluster.Attempts.Any(a => a.Partition == r.Partition && a.Attempt == r.Attempt)), "both retired workers ended", TimeSpan.FromSeconds(60));
        serving.Cluster.Attempts.Should().HaveCount(2).And.OnlyContain(static a => a.Status == AttemptStatus.Succeeded && a.Error == null, "a retired worker drains, posts its results and exits");
        var results = await serving.StopAsync();
        (await results.CollectAsync()).Should().HaveCount(8);
    }

    [Fact]
    public async Task Autoscale_InvalidOptions_ListEveryProblemBeforeStarting()
    {
        var options = TestClusters.Options(_logging.Factory) with
        {
            Replicas = 5,
            Autoscale = new AutoscaleOptions { MinReplicas = 0, MaxReplicas = 3, TargetInFlight = -1, Window = TimeSpan.FromMilliseconds(10), ScaleUpWindows = 0, Cooldown = TimeSpan.FromSeconds(-1) },
        };
        var cluster = new Cluster<int, int>(TestClusters.Integers(4, 2), TestServers.RowsWith(), options);

        var act = () => cluster.StartAsync();

        var error = (await act.Should().ThrowAsync<Microsoft.Extensions.Options.OptionsValidationException>()).Which;
        output.WriteLine(error.Message);
        error.Message.Should().Contain("Autoscale.MinReplicas").And.Contain("ClusterOptions.Replicas is how many replicas each partition starts with")
            .And.Contain("Autoscale.TargetInFlight").And.Contain("Autoscale.Window must be at least ClusterOptions.HealthCheckInterval")
            .And.Contain("Autoscale.ScaleUpWindows").And.Contain("Autoscale.Cooldown");
        error.Failures.Should().HaveCount(6);
    }

    [Fact]
    public async Task Autoscale_MaxBelowMin_IsRefused()
    {
        var options = TestClusters.Options(_logging.Factory) with { Autoscale = new AutoscaleOptions { MinReplicas = 3, MaxReplicas = 2 } };
        var act = () => new Cluster<int, int>(TestClusters.Integers(4, 2), TestServers.RowsWith(), options).StartAsync();

        var error = (await act.Should().ThrowAsync<Microsoft.Extensions.Options.OptionsValidationException>()).Which;
        error.Message.Should().Contain("Autoscale.MaxReplicas must be between MinReplicas (3) and 64 (was 2)");
    }

    // Every change from now on, in order.
    private static ConcurrentQueue<PartitionChange> Record(IPartitionDirectory directory)
    {
        var changes = new ConcurrentQueue<PartitionChange>();
        directory.Changed += (_, change) => changes.Enqueue(change);
        return changes;
    }

    private async Task<ServingCluster<int, int>> StartAsync(ServingTestSettings settings, int replicas, int scaleDownWindows = 3) =>
        await ServingCluster.StartAsync(
            TestClusters.Integers(8, 2),
            TestServers.ServingWith(settings),
            new ServingOptions { Deadline = TimeSpan.FromSeconds(30) },
            TestClusters.Options(_logging.Factory) with
            {
                Replicas = replicas,
                HealthCheckInterval = TimeSpan.FromMilliseconds(100),
                Autoscale = new AutoscaleOptions
                {
                    MinReplicas = 1,
                    MaxReplicas = 3,
                    TargetInFlight = 2,
                    Window = TimeSpan.FromMilliseconds(400),
                    ScaleUpWindows = 2,
                    ScaleDownWindows = scaleDownWindows,
                    Cooldown = TimeSpan.FromMilliseconds(400),
                    AcknowledgeTimeout = TimeSpan.FromSeconds(5),
                    RetireGrace = TimeSpan.FromMilliseconds(200),
                },
            });
}
