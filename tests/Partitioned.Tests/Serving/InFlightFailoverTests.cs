using System.Net;
using System.Net.Http.Json;
using Microsoft.Extensions.Logging;
using Partitioned.Coordination;
using Partitioned.Serving;
using Xunit.Abstractions;

namespace Partitioned.Tests.Serving;

/// <summary>
/// Requests under way at the gateway when their replica is suspected, declared lost, or goes quiet without any
/// declaration (in-process partitions; the coordinator's verdicts are given by the test, health checks stay out of it).
/// </summary>
public sealed class InFlightFailoverTests(ITestOutputHelper output) : IDisposable
{
    private readonly (ILoggerFactory Factory, CapturingLoggerProvider Logs) _logging = TestLogging.Create(output);

    public void Dispose() => _logging.Factory.Dispose();

    [Fact]
    public async Task ReplicaDeclaredLost_NotIdempotentRequestItHolds_Gets502AtOnce_NotAfterItsDeadline()
    {
        await using var serving = await StartAsync(partitions: 2, replicas: 1);
        using var client = new HttpClient { BaseAddress = serving.Address, Timeout = TimeSpan.FromSeconds(60) };
        var key = Guid.NewGuid().ToString("N");
        var request = client.PostAsJsonAsync("serve/work-once", new WorkRequest(key, Ms: 30_000));
        var run = await HolderAsync(key);

        serving.Cluster.Directory.MarkLost(run.Partition, run.Attempt, "declared lost by the test").Should().BeTrue();
        var response = await request.WaitAsync(TimeSpan.FromSeconds(15), "the request whose replica was lost is answered long before its 30 s of work");

        response.StatusCode.Should().Be(HttpStatusCode.BadGateway);
        (await response.Content.ReadAsStringAsync()).Should().Contain("was declared lost while it held the request").And.Contain("may or may not have been processed");
        WorkLedger.Local.RunsOf(key).Should().ContainSingle("a request that is not idempotent is never sent again");
    }

    [Fact]
    public async Task ReplicaSuspected_IdempotentRequestItHolds_GoesToAnotherReplicaAtOnce()
    {
        await using var serving = await StartAsync(partitions: 1, replicas: 2);
        using var client = new HttpClient { BaseAddress = serving.Address, Timeout = TimeSpan.FromSeconds(60) };
        var key = Guid.NewGuid().ToString("N");
        var request = client.PostAsJsonAsync("serve/work", new WorkRequest(key, Ms: 2_000, StallReplica: -1));
        var first = await HolderAsync(key);

        serving.Cluster.Directory.MarkSuspected(first.Partition, first.Attempt, "suspected by the test").Should().BeTrue();
        var response = await request.WaitAsync(TimeSpan.FromSeconds(30), "the request is answered");

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        var reply = (await response.Content.ReadFromJsonAsync<WorkReply>())!;
        reply.Replica.Should().NotBe(first.Replica, "the suspected replica's request went to its sibling");
        WorkLedger.Local.RunsOf(key).Select(static r => r.Replica).Should().Equal(first.Replica, reply.Replica);
        _logging.Logs.Text.Should().Contain("ReplicaSuspected");
    }

    [Fact]
    public async Task IdempotentService_ReplicaThatStallsWithoutAnyVerdict_PerTryTimeoutSendsItsRequestsElsewhere()
    {
        await using var serving = await StartAsync(partitions: 1, replicas: 2);
        using var client = new HttpClient { BaseAddress = serving.Address, Timeout = TimeSpan.FromSeconds(60) };

        // The gateway learns how long "work" answers take.
        for (var i = 0; i < 24; i++)
        {
            (await client.PostAsJsonAsync("serve/work", new WorkRequest(Guid.NewGuid().ToString("N"), Ms: 5))).EnsureSuccessStatusCode();
        }

        // Replica 0 now stalls for a minute on every request; nobody declares anything.
        var keys = Enumerable.Range(0, 6).Select(_ => Guid.NewGuid().ToString("N")).ToList();
        var responses = await Task.WhenAll(keys.Select(key => client.PostAsJsonAsync("serve/work", new WorkRequest(key, Ms: 5, StallReplica: 0))))
            .WaitAsync(TimeSpan.FromSeconds(30), "every request is answered long before the stall ends");

        responses.Should().OnlyContain(static r => r.StatusCode == HttpStatusCode.OK);
        foreach (var response in responses)
        {
            (await response.Content.ReadFromJsonAsync<WorkReply>())!.Replica.Should().Be(1);
        }

        keys.Select(k => WorkLedger.Local.RunsOf(k).Count).Should().Contain(2, "some requests were tried on the stalled replica first");
        _logging.Logs.Text.Should().Contain("TryTimedOut");
    }

    private static async Task<WorkRun> HolderAsync(string key)
    {
        await Eventually.TrueAsync(() => WorkLedger.Local.RunsOf(key).Count > 0, "a replica runs the request");
        return WorkLedger.Local.RunsOf(key)[0];
    }

    private async Task<ServingCluster<int, int>> StartAsync(int partitions, int replicas) =>
        await ServingCluster.StartAsync(
            TestClusters.Integers(8, partitions),
            TestServers.ServingWith(),
            new ServingOptions { Deadline = TimeSpan.FromSeconds(60) },
            TestClusters.Options(_logging.Factory) with { Replicas = replicas, HealthCheckInterval = TimeSpan.FromHours(1) });
}
