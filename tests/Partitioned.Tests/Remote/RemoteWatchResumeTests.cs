using Microsoft.Extensions.Logging;
using Partitioned.Client;
using Partitioned.Coordination;
using Partitioned.Security;
using Xunit.Abstractions;
using CoordinatorHost = Partitioned.Coordination.Coordinator;

namespace Partitioned.Tests.Remote;

/// <summary>The client's Watch stream across a cut connection and a coordinator that restarted: nothing missed, nothing twice.</summary>
public sealed class RemoteWatchResumeTests(ITestOutputHelper output) : IDisposable
{
    private readonly (ILoggerFactory Factory, CapturingLoggerProvider Logs) _logging = TestLogging.Create(output);

    public void Dispose() => _logging.Factory.Dispose();

    [Fact]
    public async Task Watch_ConnectionCut_ResumesAfterTheLastVersion_WithoutMissingOrRepeatingAChange()
    {
        var key = ClientKey.Create();
        await using var coordinator = await CoordinatorHost.StartAsync(new CoordinatorOptions
        {
            PartitionCount = 3,
            Token = ClusterToken.Create(),
            ClientKeys = [key],
            HealthCheckInterval = TimeSpan.FromHours(1),
            LoggerFactory = _logging.Factory,
        });
        await using var proxy = new TcpProxy(coordinator.GrpcAddress!);
        await using var client = await PartitionedClient.ConnectAsync(coordinator.Address, key.Value, new PartitionedClientOptions { GrpcAddress = proxy.Address });
        var seen = new List<long>();
        using var stop = new CancellationTokenSource();

        // Subscribed here, before the first change (WatchAsync subscribes when called): inside Task.Run the call could
        // come after the registrations below and miss them.
        var changes = client.Directory.WatchAsync(stop.Token);
        var watching = Task.Run(async () =>
        {
            await foreach (var change in changes)
            {
                seen.Add(change.Snapshot.Version);
            }
        });

        var directory = coordinator.Directory;
        directory.Register(0, 0, new Uri("http://127.0.0.1:1001/"));
        directory.Register(1, 0, new Uri("http://127.0.0.1:1002/"));
        await client.Directory.WaitUntilAsync(s => s.Version == directory.Current.Version, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));

        // Cut, and change the directory while the client cannot hear it.
        proxy.CutAll();
        directory.MarkLost(1, 0, "cut off");
        directory.Register(1, 1, new Uri("http://127.0.0.1:1003/"));
        directory.Register(2, 0, new Uri("http://127.0.0.1:1004/"));
        await client.Directory.WaitUntilAsync(s => s.Version == directory.Current.Version, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));
        client.Connections.Should().BeGreaterThan(1, "the stream broke and was reopened");
        client.Directory.Resets.Should().Be(0, "the stream resumed after the last version instead of starting again from a snapshot");

        // And once more, cut while idle.
        proxy.CutAll();
        directory.ReportError(0, 0, "boom");
        await client.Directory.WaitUntilAsync(s => s.Version == directory.Current.Version, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));

        await stop.CancelAsync();
        try
        {
            await watching;
        }
        catch (OperationCanceledException)
        {
        }

        seen.Should().Equal(Enumerable.Range(1, (int)directory.Current.Version).Select(v => (long)v), "every change once, in version order");
        client.Directory.Current.Partitions.Select(p => (p.State.ToString(), p.Attempt, p.Endpoint))
            .Should().Equal(directory.Current.Partitions.Select(p => (p.State.ToString(), p.Attempt, p.Endpoint)));
        client.Directory.Resets.Should().Be(0);
    }

    [Fact]
    public async Task Watch_CoordinatorGoneForGood_ClientSaysTheClusterIsGone()
    {
        var key = ClientKey.Create();
        var coordinator = await CoordinatorHost.StartAsync(new CoordinatorOptions { PartitionCount = 1, Token = ClusterToken.Create(), ClientKeys = [key], HealthCheckInterval = TimeSpan.FromHours(1) });
        await using var client = await PartitionedClient.ConnectAsync(
            coordinator.Address, key.Value, new PartitionedClientOptions { GoneAfter = TimeSpan.FromSeconds(1), MaxReconnectDelay = TimeSpan.FromMilliseconds(200) });
        await coordinator.StopAsync();

        var gone = await client.Gone.WaitAsync(TimeSpan.FromSeconds(30));
        gone.Message.Should().Contain("unreachable").And.Contain(coordinator.Address.ToString());
        var call = () => client.GetClient(0);
        call.Should().Throw<ClusterGoneException>();
    }

    [Fact]
    public async Task Watch_ClusterStopped_ClientSaysTheClusterStopped()
    {
        var key = ClientKey.Create();
        await using var coordinator = await CoordinatorHost.StartAsync(new CoordinatorOptions { PartitionCount = 2, Token = ClusterToken.Create(), ClientKeys = [key], HealthCheckInterval = TimeSpan.FromHours(1) });
        await using var client = await PartitionedClient.ConnectAsync(coordinator.Address, key.Value);
        coordinator.MarkStopped(0);
        coordinator.MarkFailed(1, "gave up");

        var gone = await client.Gone.WaitAsync(TimeSpan.FromSeconds(10));
        gone.Message.Should().Contain("stopped");
    }

    [Fact]
    public async Task Watch_ResumeFromAVersionOlderThanTheHistory_StartsAgainFromASnapshot()
    {
        var directory = new PartitionDirectory(1);
        for (var attempt = 0; attempt <= PartitionDirectory.HistoryCapacity + 5; attempt++)
        {
            directory.Register(0, attempt, new Uri($"http://127.0.0.1:{2000 + attempt}/"));
        }

        using var stop = new CancellationTokenSource();
        var (reset, _) = directory.Subscribe(afterVersion: 1, stop.Token);
        reset.Should().NotBeNull("version 1 fell out of the retained history");
        reset!.Version.Should().Be(directory.Current.Version);

        var (resumed, changes) = directory.Subscribe(afterVersion: directory.Current.Version - 3, stop.Token);
        resumed.Should().BeNull();
        var replayed = new List<long>();
        await foreach (var change in changes.WithCancellation(stop.Token))
        {
            replayed.Add(change.Snapshot.Version);
            if (replayed.Count == 3)
            {
                break;
            }
        }

        replayed.Should().Equal(directory.Current.Version - 2, directory.Current.Version - 1, directory.Current.Version);
        directory.Subscribe(afterVersion: directory.Current.Version + 10, stop.Token).Reset.Should().NotBeNull("a version from the future is another directory's");
    }
}
