using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;
using Partitioned.Clustering;
using Partitioned.Serving;
using Partitioned.Server;
using Xunit.Abstractions;

namespace Partitioned.Tests.Serving;

/// <summary>
/// Latency-target micro-batching end to end: one in-process partition on Kestrel (port 0), called over real HTTP at
/// <c>POST /serve/{name}</c>. The handler costs 5 ms per batch, so batching pays; the target is far above what any
/// answer takes here, so the tests see the rule (batch sizes, nothing held for the target), never a timing.
/// </summary>
public sealed class LatencyTargetBatchingServingTests(ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly TimeSpan s_target = TimeSpan.FromSeconds(3);

    private readonly (ILoggerFactory Factory, CapturingLoggerProvider Logs) _logging = TestLogging.Create(output);
    private Cluster<int, int> _cluster = null!;
    private HttpClient _partition = null!;

    public async Task InitializeAsync()
    {
        _cluster = await Clustering.Cluster.StartAsync(TestClusters.Integers(1, 1), TargetServer.Definition, TestClusters.Options(_logging.Factory));
        _partition = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 256 }) { BaseAddress = _cluster.Hosts[0], Timeout = TimeSpan.FromSeconds(60) };
    }

    public async Task DisposeAsync()
    {
        _partition.Dispose();
        await _cluster.DisposeAsync();
        _logging.Factory.Dispose();
    }

    [Fact]
    public async Task LowLoad_RequestsOneAtATime_EachGoesAloneAndIsNotHeldForTheTarget()
    {
        var clock = Stopwatch.StartNew();
        var replies = new List<BatchReply>();
        for (var i = 0; i < 20; i++)
        {
            var response = await _partition.PostAsJsonAsync("serve/target", new HelloRequest(new string('x', i), i));
            response.StatusCode.Should().Be(HttpStatusCode.OK);
            replies.Add((await response.Content.ReadFromJsonAsync<BatchReply>())!);
        }

        replies.Select(r => r.FooLength).Should().Equal(Enumerable.Range(0, 20));
        replies.Should().OnlyContain(r => r.BatchSize == 1, "nothing else waits, so a batch of one goes at once");

        // Held for the target, 20 requests one after another would take 60 s; a generous bound, not a timing.
        clock.Elapsed.Should().BeLessThan(s_target * 3, "a lone request is not held for the latency target");
    }

    [Fact]
    public async Task HighLoad_ABurst_FillsBatchesToTheirMaximum()
    {
        // Warm the cost model first, so the burst meets a window that knows the handler's cost.
        for (var i = 0; i < 3; i++)
        {
            (await _partition.PostAsJsonAsync("serve/target", new HelloRequest("warm", i))).EnsureSuccessStatusCode();
        }

        var burst = Enumerable.Range(0, 160).Select(i => _partition.PostAsJsonAsync("serve/target", new HelloRequest(new string('y', i % 7), i))).ToArray();
        var responses = await Task.WhenAll(burst).WaitAsync(TimeSpan.FromSeconds(60));

        responses.Should().OnlyContain(r => r.StatusCode == HttpStatusCode.OK);
        var replies = await Task.WhenAll(responses.Select(async r => (await r.Content.ReadFromJsonAsync<BatchReply>())!));
        replies.Max(r => r.BatchSize).Should().Be(TargetServer.MaxBatchSize, "requests gather while the handler is busy, up to MaxBatchSize");
        replies.Count(r => r.BatchSize == TargetServer.MaxBatchSize).Should().BeGreaterThan(replies.Length / 2, "most of a burst rides in full batches");
    }

    [Fact]
    public async Task BadBody_StillA400_WithALatencyTarget()
    {
        var response = await _partition.PostAsync("serve/target", ServingAssertions.Json("""{"foo":"x","bar":"nope"}"""));

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await response.ProblemDetailAsync()).Should().Contain("$.bar");
    }

    [Fact]
    public async Task Stop_WithRequestsGathering_AnswersEveryOne()
    {
        var burst = Enumerable.Range(0, 40).Select(i => _partition.PostAsJsonAsync("serve/target", new HelloRequest("z", i))).ToArray();
        await Task.Delay(50);

        await _cluster.StopAsync();
        var responses = await Task.WhenAll(burst.Select(async t =>
        {
            try
            {
                return (await t).StatusCode;
            }
            catch (HttpRequestException)
            {
                return (HttpStatusCode)0;
            }
        })).WaitAsync(TimeSpan.FromSeconds(60));

        responses.Should().OnlyContain(s => s == HttpStatusCode.OK || s == HttpStatusCode.ServiceUnavailable || s == 0, "accepted requests are answered (or refused with 503) when the partition stops, never left hanging");
        responses.Count(s => s == HttpStatusCode.OK).Should().BeGreaterThan(0);
    }

    /// <summary>A partition serving one batch service with a latency target; each batch costs 5 ms (a fixed cost, so waiting pays).</summary>
    private sealed class TargetServer : PartitionServer<int, int>
    {
        public const int MaxBatchSize = 16;

        public static PartitionServerDefinition<int, int> Definition { get; } = PartitionServerDefinition.Create("latency-target", () => new TargetServer());

        protected internal override ValueTask InitializeAsync(IAsyncEnumerable<int> rows, CancellationToken cancellationToken) => ValueTask.CompletedTask;

        protected internal override void MapRoutes(IEndpointRouteBuilder app)
        {
        }

        protected internal override void ConfigureFeatures(PartitionFeatures features) =>
            features.AddService(ServiceDefinition.CreateBatch(
                "target",
                (IReadOnlyList<HelloRequest> batch) =>
                {
                    Thread.Sleep(5);
                    return batch.Select(r => new BatchReply(r.Foo.Length, batch.Count)).ToList();
                },
                new ServiceOptions { Mode = ProcessingMode.MicroBatch, MaxBatchSize = MaxBatchSize, LatencyTarget = s_target, Deadline = TimeSpan.FromSeconds(30) }));
    }
}
