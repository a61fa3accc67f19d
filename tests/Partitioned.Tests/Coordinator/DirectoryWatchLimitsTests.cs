using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.Extensions.Logging;
using Partitioned.Client;
using Partitioned.Coordination;
using Partitioned.Security;
using Xunit.Abstractions;
using CoordinatorHost = Partitioned.Coordination.Coordinator;
using V1 = Partitioned.Protocol.V1;

namespace Partitioned.Tests.Coordinator;

/// <summary>The gRPC Watch stream keeps nothing for a call that ended, holds a bounded number of streams, and ends a watcher that falls too far behind.</summary>
public sealed class DirectoryWatchLimitsTests(ITestOutputHelper output) : IDisposable
{
    private readonly (ILoggerFactory Factory, CapturingLoggerProvider Logs) _logging = TestLogging.Create(output, LogLevel.Information);

    public void Dispose() => _logging.Factory.Dispose();

    [Fact]
    public async Task Watch_CancelledWhileItsFirstSnapshotIsBeingWritten_LeavesNoWatcherSubscribed()
    {
        // A snapshot far larger than an HTTP/2 stream's window, to a client that never reads: the first write waits
        // until the call is cancelled, then fails. That is the window where the subscription used to be left behind.
        var key = ClientKey.Create();
        await using var coordinator = await StartAsync(key, partitions: 5000);
        using var channel = GrpcChannel.ForAddress(coordinator.GrpcAddress!);
        var client = new V1.PartitionDirectory.PartitionDirectoryClient(channel);

        for (var i = 0; i < 5; i++)
        {
            using var cancel = new CancellationTokenSource();
            using var call = client.Watch(new V1.WatchRequest(), Bearer(key), cancellationToken: cancel.Token);
            await Eventually.TrueAsync(() => coordinator.Directory.WatcherCount == 1, "the watch subscribed");
            await cancel.CancelAsync();
            await Eventually.TrueAsync(() => coordinator.Directory.WatcherCount == 0 && coordinator.WatchStreams.Open == 0, "the cancelled watch unsubscribed");
        }
    }

    [Fact]
    public async Task Watch_BeyondTheLimitPerCredentialOrInTotal_IsRefusedWithResourceExhausted_AndASlotFreesWhenAStreamEnds()
    {
        var (first, second) = (ClientKey.Create(), ClientKey.Create());
        var token = ClusterToken.Create();
        await using var coordinator = await CoordinatorHost.StartAsync(new CoordinatorOptions
        {
            PartitionCount = 2,
            Token = token,
            ClientKeys = [first, second],
            MaxWatchStreams = 3,
            MaxWatchStreamsPerCredential = 2,
            HealthCheckInterval = TimeSpan.FromHours(1),
            LoggerFactory = _logging.Factory,
        });
        using var channel = GrpcChannel.ForAddress(coordinator.GrpcAddress!);
        var client = new V1.PartitionDirectory.PartitionDirectoryClient(channel);

        var a1 = await OpenAsync(client, Bearer(first));
        var a2 = await OpenAsync(client, Bearer(first));
        var perKey = await RefusalAsync(client, Bearer(first));
        var b1 = await OpenAsync(client, Bearer(second));
        var total = await RefusalAsync(client, Bearer(second));
        var withToken = await RefusalAsync(client, new Metadata { { "authorization", "Bearer " + token.Value } });

        perKey.StatusCode.Should().Be(StatusCode.ResourceExhausted);
        perKey.Status.Detail.Should().Contain("2 Watch streams").And.Contain("MaxWatchStreamsPerCredential");
        total.StatusCode.Should().Be(StatusCode.ResourceExhausted);
        total.Status.Detail.Should().Contain("3 Watch streams").And.Contain("MaxWatchStreams");
        withToken.StatusCode.Should().Be(StatusCode.ResourceExhausted);
        coordinator.WatchStreams.Open.Should().Be(3);

        a1.Dispose();
        await Eventually.TrueAsync(() => coordinator.WatchStreams.Open == 2, "the ended stream gave its slot back");
        using var again = await OpenAsync(client, Bearer(first));
        coordinator.Directory.WatcherCount.Should().Be(3);
        a2.Dispose();
        b1.Dispose();
    }

    [Fact]
    public async Task Watch_WatcherThatStopsReading_IsEndedWithAbortedSayingToResume_AndUnsubscribed()
    {
        var key = ClientKey.Create();
        await using var coordinator = await StartAsync(key, partitions: 4, maxBacklog: 16);
        using var channel = GrpcChannel.ForAddress(coordinator.GrpcAddress!);
        var client = new V1.PartitionDirectory.PartitionDirectoryClient(channel);
        using var call = client.Watch(new V1.WatchRequest(), Bearer(key));
        (await call.ResponseStream.MoveNext(CancellationToken.None)).Should().BeTrue();
        call.ResponseStream.Current.Snapshot.Should().NotBeNull();

        // The client reads no more: its connection's window fills, then changes wait at the coordinator, up to the limit.
        var directory = coordinator.Directory;
        for (var attempt = 0; directory.WatcherCount > 0 && attempt < 20_000; attempt++)
        {
            directory.Register(attempt % 4, attempt / 4, new Uri($"http://127.0.0.1:{1000 + (attempt % 4)}/"));
        }

        directory.WatcherCount.Should().Be(0, "the watcher too far behind was unsubscribed");

        // Reading again, it gets what was sent, then the status that says to resume.
        var ended = await ReadToEndAsync(call);
        output.WriteLine($"{ended.StatusCode}: {ended.Status.Detail}");
        ended.StatusCode.Should().Be(StatusCode.Aborted);
        ended.Status.Detail.Should().Contain("fell more than 16 changes behind").And.Contain("resumes after the last version it applied");
        await Eventually.TrueAsync(() => coordinator.WatchStreams.Open == 0, "the stream ended");
    }

    [Fact]
    public async Task RemoteClient_ThatReadsTooSlowly_IsEndedAndResumes_WithoutMissingOrRepeatingAChange()
    {
        var key = ClientKey.Create();
        await using var coordinator = await StartAsync(key, partitions: 4, maxBacklog: 16);
        await using var client = await PartitionedClient.ConnectAsync(coordinator.Address, key.Value);
        var seen = new List<long>();

        // The follower applies changes on its own thread and raises Changed there: a slow handler makes it read slowly.
        client.Directory.Changed += (_, change) =>
        {
            seen.Add(change.Snapshot.Version);
            Thread.Sleep(2);
        };

        // Fewer changes than the history the coordinator keeps (1024): a resume always finds its place in it.
        var directory = coordinator.Directory;
        for (var attempt = 0; attempt < 1000; attempt++)
        {
            directory.Register(attempt % 4, attempt / 4, new Uri($"http://127.0.0.1:{1000 + (attempt % 4)}/"));
        }

        await client.Directory.WaitUntilAsync(s => s.Version == directory.Current.Version, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(60));
        output.WriteLine($"connections {client.Connections}, resets {client.Directory.Resets}");
        client.Connections.Should().BeGreaterThan(1, "the coordinator ended the slow stream and the client resumed");
        client.Directory.Resets.Should().Be(0, "it resumed after the last version it applied, not from a fresh snapshot");
        seen.Should().Equal(Enumerable.Range(1, (int)directory.Current.Version).Select(v => (long)v), "every change once, in version order");
        _logging.Logs.Text.Should().NotContain(key.Value);
    }

    private async Task<CoordinatorHost> StartAsync(ClientKey key, int partitions, int maxBacklog = 256) =>
        await CoordinatorHost.StartAsync(new CoordinatorOptions
        {
            PartitionCount = partitions,
            Token = ClusterToken.Create(),
            ClientKeys = [key],
            MaxWatchBacklog = maxBacklog,
            HealthCheckInterval = TimeSpan.FromHours(1),
            LoggerFactory = _logging.Factory,
        });

    private static Metadata Bearer(ClientKey key) => new() { { "authorization", "Bearer " + key.Value } };

    /// <summary>Opens a Watch and reads its first event, so the coordinator holds it when this returns.</summary>
    private static async Task<AsyncServerStreamingCall<V1.DirectoryEvent>> OpenAsync(V1.PartitionDirectory.PartitionDirectoryClient client, Metadata headers)
    {
        var call = client.Watch(new V1.WatchRequest(), headers);
        (await call.ResponseStream.MoveNext(CancellationToken.None)).Should().BeTrue();
        return call;
    }

    private static async Task<RpcException> RefusalAsync(V1.PartitionDirectory.PartitionDirectoryClient client, Metadata headers)
    {
        using var call = client.Watch(new V1.WatchRequest(), headers);
        return await ReadToEndAsync(call);
    }

    /// <summary>Reads a stream until it ends with an error status (within a generous deadline: a stream that never ends fails the test).</summary>
    private static async Task<RpcException> ReadToEndAsync(AsyncServerStreamingCall<V1.DirectoryEvent> call)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            while (await call.ResponseStream.MoveNext(deadline.Token))
            {
            }
        }
        catch (RpcException ex) when (!deadline.IsCancellationRequested)
        {
            return ex;
        }
        catch (Exception ex) when (deadline.IsCancellationRequested)
        {
            throw new TimeoutException("The stream was still open after 30 s; it should have ended with an error status.", ex);
        }

        throw new InvalidOperationException("The stream ended without an error status.");
    }
}
