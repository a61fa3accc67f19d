using Microsoft.Extensions.Time.Testing;
using Partitioned.Routing;

namespace Partitioned.Tests.Routing;

/// <summary>
/// Adaptive replica selection (<see cref="LoadBalancingPolicies.Adaptive"/>): traffic leaves a replica that is slow but
/// alive and comes back when it recovers; a replica without statistics gets a bounded number of requests; near-equal
/// replicas share the traffic. Real Kestrel replicas on port 0 behind the per-partition client.
/// </summary>
public sealed class AdaptiveSelectionTests : IAsyncLifetime
{
    private TestReplica _a = null!;
    private TestReplica _b = null!;

    public async Task InitializeAsync()
    {
        _a = await TestReplica.StartAsync("A");
        _b = await TestReplica.StartAsync("B");
    }

    public async Task DisposeAsync()
    {
        await _a.DisposeAsync();
        await _b.DisposeAsync();
    }

    [Fact]
    public async Task Adaptive_SlowedReplica_TrafficMovesOffIt_AndBackWhenItRecovers()
    {
        using var clients = new PartitionClients(TestReplica.Directory([_a, _b]), TimeSpan.FromSeconds(30), policy: LoadBalancingPolicies.Adaptive);
        var client = clients.Get(0);
        await SendAsync(client, 40);

        _a.Behavior = static ct => Task.Delay(40, ct);
        _a.ResetCounts();
        _b.ResetCounts();
        await SendAsync(client, 200);
        _a.Hits.Should().BeLessThan(40, "a replica 40 ms slower than its sibling keeps few of 200 requests (round robin would give it 100); it got {0}", _a.Hits);
        _b.Hits.Should().BeGreaterThan(160);

        // Recovered: once its statistics fade it is probed again, answers fast, and takes its share back.
        _a.Behavior = static _ => Task.CompletedTask;
        await Eventually.TrueAsync(
            async () =>
            {
                _a.ResetCounts();
                _b.ResetCounts();
                await SendAsync(client, 50);
                return _a.Hits >= 15;
            },
            "the recovered replica takes at least 30% of a batch of 50 requests again");
    }

    [Fact]
    public async Task Adaptive_NewReplica_GetsAtMostTheProbeBoundUntilItHasStatistics()
    {
        var directory = TestReplica.Directory([_a, null]);
        using var clients = new PartitionClients(directory, TimeSpan.FromSeconds(30), policy: LoadBalancingPolicies.Adaptive);
        var client = clients.Get(0);
        await SendAsync(client, 20);

        // The new replica answers nothing until released: it stays without statistics, and requests pile up for A.
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _b.Behavior = ct => release.Task.WaitAsync(ct);
        _a.Behavior = static ct => Task.Delay(20, ct);
        directory.Register(0, 1, _b.Endpoint);
        _a.ResetCounts();

        var requests = Enumerable.Range(0, 40).Select(_ => client.GetStringAsync("work")).ToList();
        await Eventually.TrueAsync(() => requests.Count(static r => r.IsCompleted) >= 40 - _b.Hits && _a.Hits + _b.Hits == 40, "every request reached a replica and A answered its share");

        _b.Hits.Should().BeInRange(1, ReplicaRanks.MaxProbes, "a replica without statistics gets probes, at most {0} in flight, not a flood", ReplicaRanks.MaxProbes);
        release.SetResult();
        (await Task.WhenAll(requests)).Should().OnlyContain(static r => r == "\"A\"" || r == "\"B\"");
    }

    [Fact]
    public void Ranks_SlowReplicaPassedOver_IsTriedAgainOnceItsStatisticsFade()
    {
        var time = new FakeTimeProvider();
        var ranks = new ReplicaRanks(2, time);
        ReplicaTarget[] candidates = [new(0, 0, 0, new Uri("http://127.0.0.1:1/")), new(0, 1, 1, new Uri("http://127.0.0.1:2/"))];
        for (var i = 0; i < ReplicaRanks.MinSamples; i++)
        {
            ranks.Observe(0, TimeSpan.FromMilliseconds(100));
            ranks.Observe(1, TimeSpan.FromMilliseconds(1));
        }

        Enumerable.Range(0, 200).Select(_ => ranks.Choose(candidates, 2, static _ => 0)).Should().OnlyContain(static c => c == 1);

        // The chosen replica keeps answering; the passed-over one's statistics fade with time.
        time.Advance(ReplicaRanks.HalfLife * 10);
        ranks.Observe(1, TimeSpan.FromMilliseconds(1));
        Enumerable.Range(0, 200).Select(_ => ranks.Choose(candidates, 2, static _ => 0)).Should().Contain(0);
    }

    [Fact]
    public void Ranks_NearEqualReplicas_AreChosenAtRandom_NotHerdedOntoOne()
    {
        var ranks = new ReplicaRanks(3, new FakeTimeProvider());
        ReplicaTarget[] candidates = [new(0, 0, 0, new Uri("http://127.0.0.1:1/")), new(0, 1, 1, new Uri("http://127.0.0.1:2/")), new(0, 2, 2, new Uri("http://127.0.0.1:3/"))];
        for (var i = 0; i < ReplicaRanks.MinSamples; i++)
        {
            ranks.Observe(0, TimeSpan.FromMilliseconds(10));
            ranks.Observe(1, TimeSpan.FromMilliseconds(11));
            ranks.Observe(2, TimeSpan.FromMilliseconds(50));
        }

        var picks = Enumerable.Range(0, 600).Select(_ => ranks.Choose(candidates, 3, static _ => 0)).ToList();

        picks.Count(static p => p == 0).Should().BeGreaterThan(150, "10 ms and 11 ms are near-equal: both are chosen");
        picks.Count(static p => p == 1).Should().BeGreaterThan(150);
        picks.Should().NotContain(2, "a replica five times slower is not near-equal");
    }

    [Fact]
    public void Ranks_ReportedQueue_OutweighsASlightlyFasterAnswer()
    {
        var ranks = new ReplicaRanks(2, new FakeTimeProvider());
        ReplicaTarget[] candidates = [new(0, 0, 0, new Uri("http://127.0.0.1:1/")), new(0, 1, 1, new Uri("http://127.0.0.1:2/"))];
        for (var i = 0; i < ReplicaRanks.MinSamples; i++)
        {
            ranks.Observe(0, TimeSpan.FromMilliseconds(5));
            ranks.ObserveQueue(0, 8);
            ranks.Observe(1, TimeSpan.FromMilliseconds(6));
            ranks.ObserveQueue(1, 0);
        }

        Enumerable.Range(0, 100).Select(_ => ranks.Choose(candidates, 2, static _ => 0)).Should().OnlyContain(static c => c == 1);
    }

    private static async Task SendAsync(HttpClient client, int count)
    {
        for (var i = 0; i < count; i++)
        {
            (await client.GetStringAsync("work")).Should().BeOneOf("\"A\"", "\"B\"");
        }
    }
}
