using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Partitioned.Client;
using Partitioned.Clustering;
using Partitioned.Coordination;
using Partitioned.Directories;
using Partitioned.Security;
using Partitioned.Serving;
using Xunit.Abstractions;
using CoordinatorHost = Partitioned.Coordination.Coordinator;

namespace Partitioned.Tests.Autoscaling;

/// <summary>
/// Autoscaling and clients in other processes' shape (<c>Partitioned.Client</c> over the gRPC Watch): a scale-down waits
/// until their stream was handed the change, they route nothing new to the retired replica, and nothing they sent fails.
/// </summary>
public sealed class AutoscaleRemoteClientTests(ITestOutputHelper output) : IDisposable
{
    private readonly (ILoggerFactory Factory, CapturingLoggerProvider Logs) _logging = TestLogging.Create(output, LogLevel.Information);

    public void Dispose() => _logging.Factory.Dispose();

    [Fact]
    public async Task Autoscale_ScaleDownUnderARemoteClientsLoad_NoRequestFails_AndItsMirrorSawTheReplicaRetire()
    {
        var key = ClientKey.Create();
        await using var serving = await ServingCluster.StartAsync(
            TestClusters.Integers(8, 2),
            TestServers.ServingWith(),
            new ServingOptions { Deadline = TimeSpan.FromSeconds(30) },
            TestClusters.Options(_logging.Factory) with
            {
                Replicas = 2,
                ClientKeys = [key],
                HealthCheckInterval = TimeSpan.FromMilliseconds(100),
                Autoscale = new AutoscaleOptions
                {
                    MaxReplicas = 2,
                    TargetInFlight = 2,
                    Window = TimeSpan.FromMilliseconds(400),
                    ScaleDownWindows = 3,
                    Cooldown = TimeSpan.FromMilliseconds(400),
                    AcknowledgeTimeout = TimeSpan.FromSeconds(10),
                    RetireGrace = TimeSpan.FromMilliseconds(200),
                },
            });
        // The driver keeps partition 0 busy (about 8 in flight over 2 replicas) until the remote client is connected and loading.
        await using var hold = SteadyLoad.Start(serving.Cluster.GetClient(0), "../serve/version-once", new { ms = 100 }, loops: 8);
        await using var client = await PartitionedClient.ConnectAsync(serving.Cluster.CoordinatorAddress, key.Value);
        var seen = new ConcurrentQueue<PartitionChange>();
        client.Directory.Changed += (_, change) => seen.Enqueue(change);

        // The remote client alone sends the load, to partition 0, so it is its routing that must follow the directory.
        await using var load = SteadyLoad.Start(client.GetClient(0), "../serve/version-once", new { ms = 50 }, loops: 1);
        await load.WaitForAnswersAsync(5, TimeSpan.FromSeconds(30));
        await hold.StopAsync();
        serving.Cluster.Directory.Current[0].ServingReplicas.Should().Be(2, "nothing scaled down while the driver's load held it");
        using (var done = new CancellationTokenSource(TimeSpan.FromSeconds(60)))
        {
            await client.Directory.WaitUntilAsync(static s => s[0].Replicas[1].State == PartitionState.Retired, done.Token);
        }

        await Eventually.TrueAsync(() => seen.Any(static c => c.Partition == 0 && c.Kind == PartitionChangeKind.Retiring), "the mirror raised the change", TimeSpan.FromSeconds(10));
        var retiredAttempt = seen.First(static c => c.Partition == 0 && c.Kind == PartitionChangeKind.Retiring).PreviousReplica!.Attempt;
        await Eventually.TrueAsync(() => serving.Cluster.Attempts.Any(a => a.Partition == 0 && a.Attempt == retiredAttempt), "the retired replica stopped", TimeSpan.FromSeconds(30));
        await load.WaitForAnswersAsync(10, TimeSpan.FromSeconds(30));
        await load.StopAsync();

        load.Errors.Should().BeEmpty();
        load.Answers.Should().OnlyContain(static a => a.Status == 200);
        hold.Errors.Should().BeEmpty();
        hold.Answers.Should().OnlyContain(static a => a.Status == 200);
        load.Answers.Select(static a => a.Reply!.Attempt).Reverse().Take(5).Should().NotContain(retiredAttempt, "the client routes nothing new to a retired replica");
        seen.Should().Contain(static c => c.Partition == 0 && c.Kind == PartitionChangeKind.Retiring && c.Replica!.State == PartitionState.Retired, "the change and the state travel through the gRPC Watch");
        client.Directory.Current[0].ServingReplicas.Should().Be(1);
        serving.Cluster.Attempts.Single(a => a.Partition == 0 && a.Attempt == retiredAttempt).Status.Should().Be(AttemptStatus.Succeeded);
        _logging.Logs.Text.Should().NotContain("Watch stream was handed", "the client's stream had the change long before the timeout");
    }

    [Fact]
    public async Task WaitForWatchersAsync_AStreamNotHandedTheVersion_IsWaitedForAtMostTheTimeout()
    {
        await using var coordinator = await CoordinatorHost.StartAsync(new CoordinatorOptions
        {
            PartitionCount = 1,
            Token = ClusterToken.Create(),
            HealthCheckInterval = TimeSpan.FromHours(1),
            LoggerFactory = _logging.Factory,
        });
        (await coordinator.WaitForWatchersAsync(5, TimeSpan.FromSeconds(10), CancellationToken.None)).Should().BeTrue("no stream is open");

        // A stream that has not been handed version 5 yet (a lagging remote client).
        var lease = coordinator.WatchStreams.TryOpen(0, out _)!;
        (await coordinator.WaitForWatchersAsync(5, TimeSpan.FromMilliseconds(300), CancellationToken.None)).Should().BeFalse("the wait is bounded");
        lease.Sent(4);
        (await coordinator.WaitForWatchersAsync(5, TimeSpan.FromMilliseconds(300), CancellationToken.None)).Should().BeFalse();

        var waiting = coordinator.WaitForWatchersAsync(5, TimeSpan.FromSeconds(30), CancellationToken.None);
        lease.Sent(5);
        (await waiting.WaitAsync(TimeSpan.FromSeconds(10))).Should().BeTrue("the stream was handed the version");

        lease.Sent(3);
        lease.Dispose();
        (await coordinator.WaitForWatchersAsync(5, TimeSpan.FromSeconds(10), CancellationToken.None)).Should().BeTrue("a closed stream is not waited for");
    }
}
