using System.Net;
using System.Net.Http.Json;
using Microsoft.Extensions.Logging;
using Partitioned.Clustering;
using Partitioned.Serving;
using Partitioned.Tests.Cluster;
using Xunit.Abstractions;

namespace Partitioned.Tests.Serving;

/// <summary>Distributed mode, talking to a partition's <c>POST /serve/{name}</c> directly.</summary>
public sealed class DistributedServingTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly (ILoggerFactory Factory, CapturingLoggerProvider Logs) _logging = TestLogging.Create(output);
    private Cluster<int, int> _cluster = null!;
    private HttpClient _partition0 = null!;

    private ServingTestSettings Settings { get; set; } = new() { SlowConcurrency = 1, SlowQueueCapacity = 1, SlowDeadline = TimeSpan.FromSeconds(1), BatchSize = 8, BatchDelay = TimeSpan.FromMilliseconds(200) };

    public async Task InitializeAsync()
    {
        // No health checks: tests below count a partition's in-flight requests and expect only their own.
        var options = TestClusters.Options(_logging.Factory) with { HealthCheckInterval = TimeSpan.FromHours(1) };
        _cluster = await Clustering.Cluster.StartAsync(TestClusters.Integers(4, 2), TestServers.ServingWith(Settings), options);
        _partition0 = new HttpClient { BaseAddress = _cluster.Hosts[0] };
    }

    public async Task DisposeAsync()
    {
        _partition0.Dispose();
        await _cluster.DisposeAsync();
        _logging.Factory.Dispose();
    }

    [Fact]
    public async Task Hello_ValidRequest_RepliesOnTheSameConnection()
    {
        var response = await _partition0.PostAsJsonAsync("serve/hello", new { foo = "abcd", bar = 1 });

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        (await response.Content.ReadFromJsonAsync<HelloReply>()).Should().Be(new HelloReply(4));
    }

    [Theory]
    [InlineData("""{"foo":"abc","bar":"x"}""", "$.bar", "expected Int32, got \"x\" (a string)")]
    [InlineData("""{"foo":"abc"}""", "bar", "missing required")]
    [InlineData("""{"foo":null,"bar":1}""", "foo", "null")]
    [InlineData("""{"foo":"abc","bar":1""", "Invalid request body at $.bar", "Expected a delimiter")]
    [InlineData("null", "null", "HelloRequest")]
    [InlineData("", "empty", "HelloRequest")]
    public async Task Hello_BadBody_Returns400SayingWhatWasWrong(string body, string mentions, string alsoMentions)
    {
        var response = await _partition0.PostAsync("serve/hello", ServingAssertions.Json(body));

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        var detail = await response.ProblemDetailAsync();
        detail.Should().Contain(mentions).And.Contain(alsoMentions);
    }

    [Fact]
    public async Task Hello_BodyOverLimit_Returns413()
    {
        var response = await _partition0.PostAsJsonAsync("serve/hello", new { foo = new string('x', 70_000), bar = 1 });

        response.StatusCode.Should().Be(HttpStatusCode.RequestEntityTooLarge);
        (await response.ProblemDetailAsync()).Should().Contain("65536 bytes");
    }

    [Fact]
    public async Task UnknownService_Returns404ListingServices()
    {
        var response = await _partition0.PostAsJsonAsync("serve/nope", new { });

        response.StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await response.ProblemDetailAsync()).Should().Contain("'nope'").And.Contain("hello").And.Contain("slow");
    }

    [Fact]
    public async Task Deadline_Returns504_AndFreesTheQueueSlotAtOnce()
    {
        // One handler slot, one queue slot, 1 s deadline. A occupies the handler for 3 s; B waits in the queue.
        var a = _partition0.PostAsJsonAsync("serve/slow", new { ms = 3000 });
        await Eventually.TrueAsync(async () => await ClusterProbes.InFlightAsync(_cluster, 0) >= 1, "A reached the handler");
        var b = _partition0.PostAsJsonAsync("serve/slow", new { ms = 10 });

        var bResponse = await b;
        bResponse.StatusCode.Should().Be(HttpStatusCode.GatewayTimeout);
        (await bResponse.ProblemDetailAsync()).Should().Contain("deadline of 1 s");

        // A still holds the handler, but B's queue slot is free again: C is accepted (not 503) and answered once A is done.
        var c = await _partition0.PostAsJsonAsync("serve/slow", new { ms = 10 });
        (await a).StatusCode.Should().Be(HttpStatusCode.GatewayTimeout);
        c.StatusCode.Should().NotBe(HttpStatusCode.ServiceUnavailable);
    }

    [Fact]
    public async Task Burst_BeyondQueueCapacity_Gets503WithRetryAfter_AndNoHang()
    {
        var burst = Enumerable.Range(0, 20).Select(_ => _partition0.PostAsJsonAsync("serve/slow", new { ms = 100 })).ToArray();

        var responses = await Task.WhenAll(burst).WaitAsync(TimeSpan.FromSeconds(30));

        var refused = responses.Where(r => r.StatusCode == HttpStatusCode.ServiceUnavailable).ToList();
        refused.Should().NotBeEmpty("one handler slot and one queue slot cannot take 20 requests at once");
        refused.Should().OnlyContain(r => r.Headers.RetryAfter != null);
        (await refused[0].ProblemDetailAsync()).Should().Contain("retry later");
        responses.Should().Contain(r => r.StatusCode == HttpStatusCode.OK);
        responses.Should().OnlyContain(r => r.StatusCode == HttpStatusCode.OK || r.StatusCode == HttpStatusCode.ServiceUnavailable || r.StatusCode == HttpStatusCode.GatewayTimeout);
    }

    [Fact]
    public async Task MicroBatch_FormsBatchesUpToMaxSize()
    {
        var requests = Enumerable.Range(0, 20).Select(i => _partition0.PostAsJsonAsync("serve/batch", new { foo = new string('x', i), bar = i })).ToArray();

        var replies = await Task.WhenAll(requests.Select(async r => (await (await r).Content.ReadFromJsonAsync<BatchReply>())!));

        replies.Select(r => r.FooLength).Should().BeEquivalentTo(Enumerable.Range(0, 20));
        replies.Should().OnlyContain(r => r.BatchSize >= 1 && r.BatchSize <= 8);
        replies.Max(r => r.BatchSize).Should().BeGreaterThan(1, "requests arriving together within the batch delay share a batch");
    }

    [Fact]
    public async Task Handler_Throws_500WithCorrelationId_AndPartitionKeepsServing()
    {
        var failed = await _partition0.PostAsJsonAsync("serve/faulty", new { mode = "throw" });
        var after = await _partition0.PostAsJsonAsync("serve/hello", new { foo = "ok", bar = 1 });

        failed.StatusCode.Should().Be(HttpStatusCode.InternalServerError);
        var (detail, requestId) = await failed.ProblemAsync();
        requestId.Should().NotBeNullOrEmpty();
        detail.Should().Contain(requestId!).And.Contain("InvalidOperationException");
        _logging.Logs.Text.Should().Contain(requestId!).And.Contain("handler failed on purpose");
        after.StatusCode.Should().Be(HttpStatusCode.OK);
    }

    [Theory]
    [InlineData("forget", 500, "without replying")]
    [InlineData("fail", 422, "asked to be refused")]
    public async Task Handler_ForgetsOrFails_ClientGetsClearError(string mode, int status, string detail)
    {
        var response = await _partition0.PostAsJsonAsync("serve/faulty", new { mode });

        ((int)response.StatusCode).Should().Be(status);
        (await response.ProblemDetailAsync()).Should().Contain(detail);
    }

    [Theory]
    [InlineData("twice", 1)]
    [InlineData("early", 10)]
    public async Task Handler_RepliesTwice_FirstReplyWins(string mode, int expected)
    {
        var response = await _partition0.PostAsJsonAsync("serve/faulty", new { mode });

        (await response.Content.ReadFromJsonAsync<HelloReply>())!.FooLength.Should().Be(expected);
    }

    [Fact]
    public async Task Forward_ReplyFromAnotherPartitionReachesTheHeldConnection()
    {
        var response = await _partition0.PostAsJsonAsync("serve/route", new { target = 1, text = "via 0" });

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        (await response.Content.ReadFromJsonAsync<RouteReply>()).Should().Be(new RouteReply(1, "via 0"));
    }

    [Fact]
    public async Task Forward_ToMissingPartition_IsAClearError()
    {
        var response = await _partition0.PostAsJsonAsync("serve/route", new { target = 7, text = "nowhere" });

        response.StatusCode.Should().Be(HttpStatusCode.InternalServerError);
        (await response.ProblemDetailAsync()).Should().Contain("HttpRequestException");
        _logging.Logs.Text.Should().Contain("Partition 7 has no live endpoint");
    }

    [Fact]
    public async Task ControlServingRoutes_RequireTheClusterToken()
    {
        var forward = await _partition0.PostAsync("control/serving/hello/forward", ServingAssertions.Json("{}"));
        var replies = await _partition0.PostAsync("control/serving/replies", ServingAssertions.Json("{}"));

        forward.StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        replies.StatusCode.Should().Be(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Stop_AnswersAcceptedRequestsBeforeResults()
    {
        // "hold" answers only once the partition is stopping, so the three are surely held when the stop comes,
        // however slowly they arrive (a service that answers on its own could finish one before the last arrived).
        var inFlight = Enumerable.Range(0, 3).Select(i => _partition0.PostAsJsonAsync("serve/hold", new { foo = new string('x', i), bar = 1 })).ToArray();
        await Eventually.TrueAsync(async () => await ClusterProbes.InFlightAsync(_cluster, 0) >= 3, "the three requests arrived");

        var results = await _cluster.StopAsync();

        var responses = await Task.WhenAll(inFlight);
        responses.Should().OnlyContain(r => r.StatusCode == HttpStatusCode.OK);
        (await Task.WhenAll(responses.Select(r => r.Content.ReadFromJsonAsync<HelloReply>()))).Select(r => r!.FooLength).Should().Equal(0, 1, 2);
        (await results.CollectAsync()).Should().Equal(0, 1, 2, 3);
    }
}
