using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Partitioned.Coordination;
using Partitioned.Routing;
using Partitioned.Serving;
using Xunit.Abstractions;

namespace Partitioned.Tests.Serving;

/// <summary>Distributed mode behind the gateway, and the client-side balancer.</summary>
public sealed class GatewayTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly (ILoggerFactory Factory, CapturingLoggerProvider Logs) _logging = TestLogging.Create(output);
    private ServingCluster<int, int> _serving = null!;
    private HttpClient _client = null!;

    public async Task InitializeAsync()
    {
        _serving = await ServingCluster.StartAsync(
            TestClusters.Integers(4, 2),
            TestServers.ServingWith(),
            new ServingOptions { LoadBalancing = LoadBalancingPolicies.RoundRobin },
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
    public async Task RoundRobin_SpreadsRequestsOverPartitions()
    {
        var who = await SendSlowAsync(_client, 10);

        who.Count(w => w.Partition == 0).Should().Be(5);
        who.Count(w => w.Partition == 1).Should().Be(5);
    }

    [Fact]
    public async Task LostPartition_IsSkipped()
    {
        var directory = _serving.Cluster.Directory;
        directory.MarkLost(1, directory.Current[1].Attempt, "declared lost by the test");

        var who = await SendSlowAsync(_client, 6);

        who.Should().OnlyContain(w => w.Partition == 0);
    }

    [Fact]
    public async Task UnreachablePartition_RequestIsRetriedElsewhere_BecauseNothingWasSent()
    {
        // Partition 1 "moves" to a port where nothing listens: connections are refused before anything is sent.
        var directory = _serving.Cluster.Directory;
        var next = directory.Current[1].Attempt + 1;
        directory.Admit(1, next);
        directory.Register(1, next, new Uri($"http://127.0.0.1:{ClosedPort()}/"));

        var who = await SendSlowAsync(_client, 6);

        who.Should().OnlyContain(w => w.Partition == 0);
        _logging.Logs.Text.Should().Contain("unreachable");
    }

    [Fact]
    public async Task NoLivePartition_Returns503WithRetryAfter()
    {
        var directory = _serving.Cluster.Directory;
        directory.MarkLost(0, directory.Current[0].Attempt, "lost");
        directory.MarkLost(1, directory.Current[1].Attempt, "lost");

        var response = await _client.PostAsJsonAsync("serve/hello", new { foo = "x", bar = 1 });

        response.StatusCode.Should().Be(HttpStatusCode.ServiceUnavailable);
        response.Headers.RetryAfter.Should().NotBeNull();
    }

    [Fact]
    public async Task PartitionErrors_AreRelayedAsTheyAre()
    {
        var bad = await _client.PostAsync("serve/hello", ServingAssertions.Json("""{"foo":1,"bar":1}"""));
        var unknown = await _client.PostAsJsonAsync("serve/nope", new { });
        var tooLarge = await _client.PostAsJsonAsync("serve/hello", new { foo = new string('x', 2 * 1024 * 1024), bar = 1 });

        bad.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await bad.ProblemDetailAsync()).Should().Contain("$.foo").And.Contain("String");
        unknown.StatusCode.Should().Be(HttpStatusCode.NotFound);
        tooLarge.StatusCode.Should().Be(HttpStatusCode.RequestEntityTooLarge);
    }

    [Theory]
    [InlineData(LoadBalancingPolicies.RoundRobin)]
    [InlineData(LoadBalancingPolicies.LeastOutstanding)]
    [InlineData(LoadBalancingPolicies.PowerOfTwoChoices)]
    public async Task ClientSideBalancer_SendsToLivePartitions(string policy)
    {
        var balancer = new PartitionBalancer(_serving.Cluster.Directory, policy);
        using var client = balancer.CreateClient();

        var who = await SendSlowAsync(client, 20);

        who.Select(w => w.Partition).Distinct().Should().HaveCount(2);
        balancer.Outstanding.Should().OnlyContain(count => count == 0);
    }

    [Fact]
    public async Task LeastOutstanding_AvoidsTheBusyPartition()
    {
        var balancer = new PartitionBalancer(_serving.Cluster.Directory, LoadBalancingPolicies.LeastOutstanding);
        using var client = balancer.CreateClient();
        var busy = client.PostAsJsonAsync("serve/slow", new { ms = 1500 });
        await Eventually.TrueAsync(() => balancer.Outstanding.Sum() == 1, "the slow request is outstanding");
        var busyPartition = balancer.Outstanding[0] == 1 ? 0 : 1;

        var who = await SendSlowAsync(client, 5, sequential: true);

        who.Should().OnlyContain(w => w.Partition != busyPartition);
        await busy;
    }

    [Fact]
    public void UnknownPolicy_IsRejectedWithTheChoices()
    {
        var act = () => new PartitionBalancer(_serving.Cluster.Directory, "Random");

        act.Should().Throw<ArgumentException>().WithMessage("*RoundRobin, LeastOutstanding, PowerOfTwoChoices*");
    }

    private static async Task<WhoReply[]> SendSlowAsync(HttpClient client, int count, bool sequential = false)
    {
        var replies = new List<WhoReply>();
        if (sequential)
        {
            for (var i = 0; i < count; i++)
            {
                replies.Add((await (await client.PostAsJsonAsync("serve/slow", new { ms = 1 })).EnsureSuccessStatusCode().Content.ReadFromJsonAsync<WhoReply>())!);
            }

            return [.. replies];
        }

        var responses = await Task.WhenAll(Enumerable.Range(0, count).Select(_ => client.PostAsJsonAsync("serve/slow", new { ms = 1 })));
        return await Task.WhenAll(responses.Select(async r => (await r.EnsureSuccessStatusCode().Content.ReadFromJsonAsync<WhoReply>())!));
    }

    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
