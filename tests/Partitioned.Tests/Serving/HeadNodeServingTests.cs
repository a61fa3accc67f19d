using System.Net;
using System.Net.Http.Json;
using Microsoft.Extensions.Logging;
using Partitioned.Coordination;
using Partitioned.Serving;
using Xunit.Abstractions;

namespace Partitioned.Tests.Serving;

/// <summary>Head-node mode: one ingress on the driver holds connections; partitions pull work.</summary>
public sealed class HeadNodeServingTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly (ILoggerFactory Factory, CapturingLoggerProvider Logs) _logging = TestLogging.Create(output);
    private ServingCluster<int, int> _serving = null!;
    private HttpClient _client = null!;

    public async Task InitializeAsync()
    {
        _serving = await ServingCluster.StartAsync(
            TestClusters.Integers(4, 2),
            TestServers.ServingWith(new ServingTestSettings { SlowConcurrency = 2 }),
            new ServingOptions { Mode = ServingMode.HeadNode, Services = ["hello", "slow", "batch", "faulty", "route"], Deadline = TimeSpan.FromSeconds(2), MaxRequestBodySize = 1000 },
            TestClusters.Options(_logging.Factory) with { HealthCheckInterval = TimeSpan.FromHours(1) });
        _client = new HttpClient { BaseAddress = _serving.Address };
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _serving.DisposeAsync();
        _logging.Factory.Dispose();
    }

    [Fact]
    public async Task Hello_ThroughTheIngress_IsAnsweredByAPartition()
    {
        var replies = await Task.WhenAll(Enumerable.Range(0, 20).Select(i => _client.PostAsJsonAsync("serve/hello", new { foo = new string('a', i), bar = i })));

        replies.Should().OnlyContain(r => r.StatusCode == HttpStatusCode.OK);
        (await Task.WhenAll(replies.Select(r => r.Content.ReadFromJsonAsync<HelloReply>()))).Select(r => r!.FooLength).Should().BeEquivalentTo(Enumerable.Range(0, 20));
        _serving.GetServiceUri("hello").Should().Be(new Uri(_serving.Address, "serve/hello"));
    }

    [Fact]
    public async Task Work_IsSpreadOverPartitionsThatPull()
    {
        var replies = await Task.WhenAll(Enumerable.Range(0, 12).Select(_ => _client.PostAsJsonAsync("serve/slow", new { ms = 200 })));

        var who = await Task.WhenAll(replies.Select(r => r.Content.ReadFromJsonAsync<WhoReply>()));
        who.Select(w => w!.Partition).Distinct().Should().HaveCount(2, "both partitions pull from the same queue");
    }

    [Fact]
    public async Task Errors_AtTheIngress_AreClear()
    {
        var malformed = await _client.PostAsync("serve/hello", ServingAssertions.Json("{\"foo\":"));
        var unknown = await _client.PostAsJsonAsync("serve/nope", new { });
        var tooLarge = await _client.PostAsJsonAsync("serve/hello", new { foo = new string('x', 2000), bar = 1 });
        var unbindable = await _client.PostAsync("serve/hello", ServingAssertions.Json("""{"foo":"x","bar":"y"}"""));

        malformed.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        unknown.StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await unknown.ProblemDetailAsync()).Should().Contain("hello");
        tooLarge.StatusCode.Should().Be(HttpStatusCode.RequestEntityTooLarge);
        unbindable.StatusCode.Should().Be(HttpStatusCode.BadRequest, "the partition binds the body and its 400 travels back");
        (await unbindable.ProblemDetailAsync()).Should().Contain("$.bar").And.Contain("Int32");
    }

    [Fact]
    public async Task Deadline_Returns504()
    {
        var response = await _client.PostAsJsonAsync("serve/slow", new { ms = 4000 });

        response.StatusCode.Should().Be(HttpStatusCode.GatewayTimeout);
        (await response.ProblemDetailAsync()).Should().Contain("deadline of 2 s");
    }

    [Fact]
    public async Task HandlerErrors_AndForwarding_WorkThroughTheIngress()
    {
        var failed = await _client.PostAsJsonAsync("serve/faulty", new { mode = "throw" });
        var routed = await Task.WhenAll(Enumerable.Range(0, 6).Select(i => _client.PostAsJsonAsync("serve/route", new { target = i % 2, text = $"t{i}" })));

        failed.StatusCode.Should().Be(HttpStatusCode.InternalServerError);
        (await failed.ProblemAsync()).RequestId.Should().StartWith("h.");
        var replies = await Task.WhenAll(routed.Select(r => r.Content.ReadFromJsonAsync<RouteReply>()));
        replies.Should().BeEquivalentTo(Enumerable.Range(0, 6).Select(i => new RouteReply(i % 2, $"t{i}")));
    }

    [Fact]
    public async Task LostPartition_ItsHeldRequestsAreReplayed_AndEveryRequestGetsOneAnswer()
    {
        // Both partitions take slow requests; then partition 1 is declared lost while holding some. Its requests
        // are handed again to partition 0; partition 1 (still alive here) also answers: the first answer wins.
        // 24 requests: more than one partition's handlers take at once, so both pull and hold some.
        var requests = Enumerable.Range(0, 24).Select(_ => _client.PostAsJsonAsync("serve/slow", new { ms = 100 })).ToArray();
        await Eventually.TrueAsync(() => _serving.HeadNode!.CountHeld(1) > 0, "partition 1 holds requests");
        var directory = _serving.Cluster.Directory;
        directory.MarkLost(1, directory.Current[1].Attempt, "declared lost by the test").Should().BeTrue();

        var responses = await Task.WhenAll(requests);

        responses.Should().OnlyContain(r => r.StatusCode == HttpStatusCode.OK);
        _logging.Logs.Text.Should().Contain("replaying");
    }

    [Fact]
    public async Task NoLivePartition_Returns503WithRetryAfter()
    {
        var directory = _serving.Cluster.Directory;
        foreach (var entry in directory.Current.Partitions)
        {
            directory.MarkLost(entry.Partition, entry.Attempt, "declared lost by the test");
        }

        var response = await _client.PostAsJsonAsync("serve/hello", new { foo = "x", bar = 1 });

        response.StatusCode.Should().Be(HttpStatusCode.ServiceUnavailable);
        response.Headers.RetryAfter.Should().NotBeNull();
        (await response.ProblemDetailAsync()).Should().Contain("Every partition is lost");
    }

    [Fact]
    public async Task PullRoutes_RequireTheClusterToken()
    {
        using var anonymous = new HttpClient { BaseAddress = _serving.Cluster.CoordinatorAddress };

        (await anonymous.GetAsync("v1/serving")).StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        (await anonymous.PostAsJsonAsync("v1/serving/hello/pull", new { partition = 0, attempt = 0, max = 1 })).StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        (await anonymous.PostAsync("v1/serving/replies", ServingAssertions.Json("{}"))).StatusCode.Should().Be(HttpStatusCode.Unauthorized);
    }
}
