using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Logging;
using Partitioned.Client;
using Partitioned.Clustering;
using Partitioned.Coordination;
using Partitioned.Security;
using Partitioned.Serving;
using Xunit.Abstractions;
using CoordinatorHost = Partitioned.Coordination.Coordinator;
using V1 = Partitioned.Protocol.V1;

namespace Partitioned.Tests.Cluster;

/// <summary>
/// Callers without a credential (and with one, misbehaving) cannot grow the driver's memory: a flood of made-up service
/// names and routes, Watch streams cancelled at any moment, and watchers that never read while the directory changes,
/// all leave the managed heap where it was, while serving answers throughout. Runs alone: it measures the process.
/// </summary>
[Collection(nameof(SequentialCollection))]
public sealed class BoundedStateSoakTests(ITestOutputHelper output)
{
    private const int Connections = 32;

    [Fact]
    public async Task Soak_AnonymousFloodsAndMisbehavingWatchers_LeaveTheHeapBounded_AndServingAnswersThroughout()
    {
        var (loggerFactory, _) = TestLogging.Create(output: null, LogLevel.Warning);
        using var _ = loggerFactory;
        var key = ClientKey.Create();
        await using var serving = await ServingCluster.StartAsync(TestClusters.Integers(4, 2), TestServers.ServingWith(), new ServingOptions(), TestClusters.Options(loggerFactory));
        await using var dashboard = await StartDashboardAsync(serving.Cluster);
        await using var coordinator = await CoordinatorHost.StartAsync(new CoordinatorOptions
        {
            PartitionCount = 8,
            Token = ClusterToken.Create(),
            ClientKeys = [key],
            HealthCheckInterval = TimeSpan.FromHours(1),
            LoggerFactory = loggerFactory,
        });

        // A well-behaved remote client follows the directory through it all: the one stream that stays.
        await using var follower = await PartitionedClient.ConnectAsync(coordinator.Address, key.Value);
        var watch = new Watchers(coordinator, key);
        var total = Stopwatch.StartNew();

        // Warm up every path (JIT, pools, the directory's history), so what stays afterwards is not first-use cost.
        await FloodAsync(serving.Address, 2_000, 500);
        await watch.OpenAndCancelAsync(200);
        await watch.StallWhileChangingAsync(watchers: 5, changes: 5_000);
        await SettledAsync(coordinator, follower);
        var before = Heap();

        using var probing = new CancellationTokenSource();
        var probe = ProbeAsync(serving.Address, probing.Token);
        var flood = Stopwatch.StartNew();
        var (wrongMedia, unknownRoutes) = await FloodAsync(serving.Address, 100_000, 10_000);
        flood.Stop();
        var cancelled = Stopwatch.StartNew();
        var refused = await watch.OpenAndCancelAsync(2_000);
        cancelled.Stop();
        var stalled = Stopwatch.StartNew();
        await watch.StallWhileChangingAsync(watchers: 50, changes: 10_000);
        stalled.Stop();
        await probing.CancelAsync();
        var (answered, notAnswered) = await probe;

        await SettledAsync(coordinator, follower);
        var after = Heap();
        total.Stop();
        using var http = new HttpClient();
        var state = await http.GetStringAsync(dashboard.Urls.First() + "/dashboard/state");

        output.WriteLine($"flood: 100000 unique names ({wrongMedia} x 404) and 10000 unknown routes ({unknownRoutes} x 404) in {flood.Elapsed.TotalSeconds:0.0} s");
        output.WriteLine($"2000 Watch streams cancelled at random moments in {cancelled.Elapsed.TotalSeconds:0.0} s ({refused} refused at the cap)");
        output.WriteLine($"50 stalled watchers, 10000 changes, all ended in {stalled.Elapsed.TotalSeconds:0.0} s");
        output.WriteLine($"serving probe: {answered} answered 200, {notAnswered} not");
        output.WriteLine($"managed heap after a full GC: {before / 1e6:0.0} MB -> {after / 1e6:0.0} MB ({(after - before) / 1e6:+0.0;-0.0} MB); total {total.Elapsed.TotalSeconds:0.0} s");
        output.WriteLine($"watchers {coordinator.Directory.WatcherCount}, Watch streams {coordinator.WatchStreams.Open}; follower at version {follower.Directory.Current.Version} of {coordinator.Directory.Current.Version}");

        wrongMedia.Should().Be(100_000, "a name no replica announces is 404, before anything is counted");
        unknownRoutes.Should().Be(10_000);
        (after - before).Should().BeLessThan(20_000_000, "nothing a caller sends may stay in the driver's memory");
        notAnswered.Should().Be(0, "serving answers throughout");
        answered.Should().BeGreaterThan(0);
        coordinator.Directory.WatcherCount.Should().Be(1, "only the follower's stream is live");
        coordinator.WatchStreams.Open.Should().Be(1);
        follower.Directory.Current.Version.Should().Be(coordinator.Directory.Current.Version, "the follower missed nothing");
        state.Should().NotContain("soak-").And.Contain("\"hello\"");
        total.Elapsed.Should().BeLessThan(TimeSpan.FromMinutes(3), "a generous deadline");
    }

    /// <summary>
    /// POSTs with unique made-up service names and a wrong media type, and requests to routes that do not exist, over
    /// many keep-alive connections. Returns how many of each got 404.
    /// </summary>
    private static async Task<(int WrongMedia, int UnknownRoutes)> FloodAsync(Uri gateway, int names, int routes)
    {
        using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = Connections, UseProxy = false };
        using var http = new HttpClient(handler) { BaseAddress = gateway };
        var prefix = Guid.NewGuid().ToString("N")[..8];
        int next = 0, wrongMedia = 0, unknownRoutes = 0;
        await Task.WhenAll(Enumerable.Range(0, Connections).Select(_ => Task.Run(async () =>
        {
            for (var i = Interlocked.Increment(ref next) - 1; i < names + routes; i = Interlocked.Increment(ref next) - 1)
            {
                using var request = i < names
                    ? new HttpRequestMessage(HttpMethod.Post, $"serve/soak-{prefix}-{i}") { Content = new StringContent("hello", Encoding.UTF8, "text/plain") }
                    : new HttpRequestMessage(i % 2 == 0 ? HttpMethod.Get : HttpMethod.Post, $"soak-{prefix}-{i}/route?x={i}");
                using var response = await http.SendAsync(request);
                if (response.StatusCode != HttpStatusCode.NotFound)
                {
                    continue;
                }

                if (i < names)
                {
                    Interlocked.Increment(ref wrongMedia);
                }
                else
                {
                    Interlocked.Increment(ref unknownRoutes);
                }
            }
        })));
        return (wrongMedia, unknownRoutes);
    }

    /// <summary>A real request every few milliseconds on its own connection; counts those answered 200 and those not.</summary>
    private static async Task<(int Answered, int NotAnswered)> ProbeAsync(Uri gateway, CancellationToken cancellationToken)
    {
        using var http = new HttpClient { BaseAddress = gateway };
        var (answered, notAnswered) = (0, 0);
        while (!cancellationToken.IsCancellationRequested)
        {
            using var response = await http.PostAsJsonAsync("serve/hello", new { foo = "probe", bar = 1 }, CancellationToken.None);
            if (response.StatusCode == HttpStatusCode.OK)
            {
                answered++;
            }
            else
            {
                notAnswered++;
            }

            await Task.Delay(20, CancellationToken.None);
        }

        return (answered, notAnswered);
    }

    private static async Task<WebApplication> StartDashboardAsync(Cluster<int, int> cluster)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        app.MapPartitionedDashboard(cluster);
        await app.StartAsync();
        return app;
    }

    /// <summary>
    /// Waits (up to a generous deadline) until only the follower's stream is left and the follower caught up. Does not
    /// throw: the test's assertions say what did not settle, after the heap was measured.
    /// </summary>
    private static async Task SettledAsync(CoordinatorHost coordinator, PartitionedClient follower)
    {
        try
        {
            await Eventually.TrueAsync(() => coordinator.Directory.WatcherCount == 1 && coordinator.WatchStreams.Open == 1, "only the follower's Watch stream is left", TimeSpan.FromSeconds(30));
            await follower.Directory.WaitUntilAsync(s => s.Version == coordinator.Directory.Current.Version, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));
        }
        catch (TimeoutException)
        {
        }
    }

    private static long Heap()
    {
        for (var i = 0; i < 3; i++)
        {
            GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
            GC.WaitForPendingFinalizers();
        }

        return GC.GetTotalMemory(forceFullCollection: true);
    }

    /// <summary>Watch streams that misbehave: cancelled at random moments, or never read while the directory changes.</summary>
    private sealed class Watchers(CoordinatorHost coordinator, ClientKey key)
    {
        private readonly Metadata _headers = new() { { "authorization", "Bearer " + key.Value } };
        private int _attempt;

        /// <summary>Opens <paramref name="count"/> streams, 32 at a time, each cancelled at a random moment; returns how many the cap refused.</summary>
        public async Task<int> OpenAndCancelAsync(int count)
        {
            using var channel = GrpcChannel.ForAddress(coordinator.GrpcAddress!);
            var client = new V1.PartitionDirectory.PartitionDirectoryClient(channel);
            using var slots = new SemaphoreSlim(Connections);
            var refused = 0;
            await Task.WhenAll(Enumerable.Range(0, count).Select(async i =>
            {
                await slots.WaitAsync();
                try
                {
                    using var cancel = new CancellationTokenSource();
                    using var call = client.Watch(new V1.WatchRequest(), _headers, cancellationToken: cancel.Token);
                    switch (i % 4)
                    {
                        case 0:
                            break;                                                      // before the coordinator even answers
                        case 1:
                            await call.ResponseStream.MoveNext(CancellationToken.None);  // after the snapshot
                            break;
                        case 2:
                            await Task.Delay(Random.Shared.Next(1, 10));                // while the snapshot may be on its way
                            break;
                        default:
                            // Between changes: the directory moves meanwhile.
                            await call.ResponseStream.MoveNext(CancellationToken.None);
                            coordinator.Directory.Register(i % 8, Interlocked.Increment(ref _attempt), new Uri($"http://127.0.0.1:{2000 + (i % 8)}/"));
                            await call.ResponseStream.MoveNext(CancellationToken.None);
                            break;
                    }

                    await cancel.CancelAsync();
                }
                catch (RpcException ex) when (ex.StatusCode == StatusCode.ResourceExhausted)
                {
                    Interlocked.Increment(ref refused);
                }
                catch (RpcException ex) when (ex.StatusCode == StatusCode.Cancelled)
                {
                }
                finally
                {
                    slots.Release();
                }
            }));
            return refused;
        }

        /// <summary>Opens watchers that read the first event and then nothing, and changes the directory under them.</summary>
        public async Task StallWhileChangingAsync(int watchers, int changes)
        {
            using var channel = GrpcChannel.ForAddress(coordinator.GrpcAddress!, new GrpcChannelOptions
            {
                HttpHandler = new SocketsHttpHandler { EnableMultipleHttp2Connections = true },
            });
            var client = new V1.PartitionDirectory.PartitionDirectoryClient(channel);
            var calls = new List<AsyncServerStreamingCall<V1.DirectoryEvent>>();
            try
            {
                for (var i = 0; i < watchers; i++)
                {
                    var call = client.Watch(new V1.WatchRequest(), _headers);
                    calls.Add(call);
                    (await call.ResponseStream.MoveNext(CancellationToken.None)).Should().BeTrue();
                }

                for (var i = 0; i < changes; i++)
                {
                    coordinator.Directory.Register(i % 8, Interlocked.Increment(ref _attempt), new Uri($"http://127.0.0.1:{3000 + (i % 8)}/"));
                    if (i % 500 == 0)
                    {
                        // The coordinator's writers need the cores too.
                        await Task.Yield();
                    }
                }

                // Every stalled watcher fell behind: unsubscribed at once (the test checks the count once everything settled).
                await Eventually.TrueAsync(() => coordinator.Directory.WatcherCount == 1, "every stalled watcher was unsubscribed", TimeSpan.FromSeconds(30));
            }
            catch (TimeoutException)
            {
            }
            finally
            {
                foreach (var call in calls)
                {
                    call.Dispose();
                }
            }
        }
    }
}
