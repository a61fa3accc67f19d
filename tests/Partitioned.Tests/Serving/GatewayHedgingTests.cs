using System.Net;
using System.Net.Http.Json;
using Microsoft.Extensions.Logging;
using Partitioned.Routing;
using Partitioned.Serving;
using Xunit.Abstractions;

namespace Partitioned.Tests.Serving;

/// <summary>
/// Hedged requests through the gateway (in-process partitions, 1 partition x 2 replicas, no health verdicts): a request
/// to an idempotent service that a replica sits on is answered by the other replica; one to a service that is not
/// idempotent runs once, however late.
/// </summary>
public sealed class GatewayHedgingTests(ITestOutputHelper output) : IDisposable
{
    private static readonly HedgingOptions s_hedging = new() { Delay = TimeSpan.FromMilliseconds(100), Budget = 1 };

    private readonly (ILoggerFactory Factory, CapturingLoggerProvider Logs) _logging = TestLogging.Create(output);

    public void Dispose() => _logging.Factory.Dispose();

    [Fact]
    public async Task Gateway_IdempotentService_ReplicaSitsOnTheRequest_HedgeToTheOtherAnswers()
    {
        await using var serving = await StartAsync();
        using var client = new HttpClient { BaseAddress = serving.Address, Timeout = TimeSpan.FromSeconds(90) };

        // Replica 0 sits on every request for a minute; no per-try timeout applies yet (no answers observed).
        var keys = Enumerable.Range(0, 6).Select(_ => Guid.NewGuid().ToString("N")).ToList();
        var responses = await Task.WhenAll(keys.Select(key => client.PostAsJsonAsync("serve/work", new WorkRequest(key, Ms: 1, StallReplica: 0, StallMs: 60_000))))
            .WaitAsync(TimeSpan.FromSeconds(30), "every request is answered long before the minute of stall ends");

        responses.Should().OnlyContain(static r => r.StatusCode == HttpStatusCode.OK);
        foreach (var response in responses)
        {
            (await response.Content.ReadFromJsonAsync<WorkReply>())!.Replica.Should().Be(1, "only the hedge's answer could come in time");
        }

        keys.Select(k => WorkLedger.Local.RunsOf(k).Select(static r => r.Replica).ToList()).Should().Contain(
            static runs => runs.SequenceEqual(new[] { 0, 1 }), "requests that reached replica 0 first were hedged to replica 1");
    }

    [Fact]
    public async Task Gateway_NonIdempotentService_IsNeverHedged()
    {
        await using var serving = await StartAsync();
        using var client = new HttpClient { BaseAddress = serving.Address, Timeout = TimeSpan.FromSeconds(90) };

        var keys = Enumerable.Range(0, 4).Select(_ => Guid.NewGuid().ToString("N")).ToList();
        var responses = await Task.WhenAll(keys.Select(key => client.PostAsJsonAsync("serve/work-once", new WorkRequest(key, Ms: 1, StallReplica: 0, StallMs: 1_500))))
            .WaitAsync(TimeSpan.FromSeconds(30), "every request is answered");

        responses.Should().OnlyContain(static r => r.StatusCode == HttpStatusCode.OK);
        var replies = await Task.WhenAll(responses.Select(static r => r.Content.ReadFromJsonAsync<WorkReply>()));
        replies.Should().Contain(static r => r!.Replica == 0, "some requests waited out replica 0's stall (15 times the hedge delay)");
        keys.Should().OnlyContain(k => WorkLedger.Local.RunsOf(k).Count == 1, "a request that may not run twice is never hedged");
    }

    private async Task<ServingCluster<int, int>> StartAsync() =>
        await ServingCluster.StartAsync(
            TestClusters.Integers(8, 1),
            TestServers.ServingWith(),
            new ServingOptions { Deadline = TimeSpan.FromSeconds(60), Hedging = s_hedging },
            TestClusters.Options(_logging.Factory) with { Replicas = 2, HealthCheckInterval = TimeSpan.FromHours(1) });
}
