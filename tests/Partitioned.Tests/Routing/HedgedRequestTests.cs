using System.Diagnostics.Metrics;
using Microsoft.Extensions.Time.Testing;
using Partitioned.Routing;

namespace Partitioned.Tests.Routing;

/// <summary>
/// Hedged requests (<see cref="HedgingOptions"/>) through the per-partition clients and scatter-gather, on real Kestrel
/// replicas: a request its replica sits on goes to the other replica after the delay (time driven by a
/// <see cref="FakeTimeProvider"/>), the first answer wins and the loser is cancelled; a request that is not idempotent is
/// never hedged; hedges never exceed the budget.
/// </summary>
public sealed class HedgedRequestTests : IAsyncLifetime
{
    private static readonly TimeSpan s_delay = TimeSpan.FromMilliseconds(200);

    private readonly FakeTimeProvider _time = new();
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
    public async Task Hedge_ReplicaSitsOnTheRequest_OtherReplicaAnswers_AndTheLoserIsCancelled()
    {
        _a.Behavior = static ct => Task.Delay(Timeout.Infinite, ct);
        using var clients = Clients(TestReplica.Directory([_a, _b]), new HedgingOptions { Delay = s_delay, Budget = 1 });
        var hedges = 0L;
        using var listener = Listen("partitioned.routing.hedges", value => Interlocked.Add(ref hedges, value));

        for (var i = 0; i < 6; i++)
        {
            (await PumpAsync(() => clients.Get(0).GetStringAsync("work"))).Should().Be("\"B\"", "the silent replica's request was hedged to the other, whose answer won");
        }

        _a.Hits.Should().BeGreaterThan(0, "round robin sends every other request to A first");
        await Eventually.TrueAsync(() => _a.Aborted == _a.Hits, "every request A sat on was cancelled once B answered");
        clients.Loop.Hedger!.Sent.Should().Be(_a.Hits, "each request A sat on was hedged once");
        clients.Loop.Hedger.Won.Should().Be(_a.Hits, "and B's answer won each time");
        Interlocked.Read(ref hedges).Should().BeGreaterThanOrEqualTo(_a.Hits, "hedges are counted on the Partitioned.Routing meter");
    }

    [Fact]
    public async Task Hedge_NonIdempotentRequest_IsNeverHedged()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _a.Behavior = ct => release.Task.WaitAsync(ct);
        using var clients = Clients(TestReplica.Directory([_a, _b]), new HedgingOptions { Delay = s_delay, Budget = 1 });

        // Round robin: of two requests in a row, one goes to A first.
        var first = clients.Get(0).PostAsync("work", new StringContent("{}"));
        var second = clients.Get(0).PostAsync("work", new StringContent("{}"));
        for (var i = 0; i < 20; i++)
        {
            _time.Advance(TimeSpan.FromSeconds(1));
            await Task.Delay(10);
        }

        await Eventually.TrueAsync(() => _a.Hits == 1 && _b.Hits == 1 && (first.IsCompleted || second.IsCompleted), "B answered its request and A holds the other");
        _b.Hits.Should().Be(1, "a POST is not idempotent: it is never sent to a second replica however late its answer");
        (first.IsCompleted && second.IsCompleted).Should().BeFalse();
        clients.Loop.Hedger!.Requests.Should().Be(0, "a request that may not run twice never enters the hedging budget");
        clients.Loop.Hedger.Sent.Should().Be(0);

        release.SetResult();
        (await Task.WhenAll(first, second)).Should().OnlyContain(static r => r.IsSuccessStatusCode);
    }

    [Fact]
    public async Task Hedge_Budget_IsNeverExceeded()
    {
        _a.Behavior = static ct => Task.Delay(30, ct);
        const double budget = 0.1;
        using var clients = Clients(TestReplica.Directory([_a, _b]), new HedgingOptions { Delay = s_delay, Budget = budget });
        using var pump = new CancellationTokenSource();
        var pumping = PumpTimeAsync(pump.Token);

        const int requests = 200;
        for (var i = 0; i < requests; i += 4)
        {
            await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => clients.Get(0).GetStringAsync("work")));
        }

        await pump.CancelAsync();
        await pumping;
        var hedger = clients.Loop.Hedger!;
        hedger.Requests.Should().Be(requests);
        hedger.Sent.Should().BeGreaterThan(0, "A is slower than the hedge delay as time is pumped: hedges were due")
            .And.BeLessThanOrEqualTo((long)(budget * requests), "the token bucket gains {0} per request and a hedge takes one", budget);
        (_a.Hits + _b.Hits).Should().BeInRange(requests, requests + (int)hedger.Sent, "a hedge is at most one extra request (none when the first answer cancels it before it arrives)");
    }

    [Fact]
    public async Task Hedge_ScatterGather_SlowPartitionReplicaIsHedged()
    {
        await using var c = await TestReplica.StartAsync("C");
        await using var d = await TestReplica.StartAsync("D");
        _a.Behavior = static ct => Task.Delay(Timeout.Infinite, ct);
        // Picked at random (round robin's turn is shared by both partitions, so partition 0 could always start on B).
        using var clients = Clients(TestReplica.Directory([_a, _b], [c, d]), new HedgingOptions { Delay = s_delay, Budget = 1 }, LoadBalancingPolicies.PowerOfTwoChoices);

        for (var i = 0; i < 40 && (i < 4 || _a.Hits == 0); i++)
        {
            var result = await PumpAsync(() => clients.ScatterGetAsync<string>("work", new ScatterOptions { RequireAll = true }, new System.Text.Json.JsonSerializerOptions(), CancellationToken.None));
            result[0].Value.Should().Be("B", "partition 0 answers through B, hedged off A when A held it");
            result[1].Value.Should().BeOneOf("C", "D");
        }

        _a.Hits.Should().BeGreaterThan(0);
        await Eventually.TrueAsync(() => _a.Aborted == _a.Hits, "the hedged-off requests on A were cancelled");
    }

    [Fact]
    public void HedgingOptions_Invalid_AreRefusedNamingTheSetting()
    {
        var balancer = () => new PartitionBalancer(TestReplica.Directory([_a, _b])) { Hedging = new HedgingOptions { Budget = 2 } };
        balancer.Should().Throw<ArgumentException>().WithMessage("*HedgingOptions.Budget must be above 0 and at most 1 (was 2)*");

        var cluster = () => new Partitioned.Clustering.ClusterOptions { LoadBalancing = "Fastest", Hedging = new HedgingOptions { Delay = TimeSpan.Zero } }.Validate();
        cluster.Should().Throw<Microsoft.Extensions.Options.OptionsValidationException>()
            .Which.Failures.Should().Contain(static f => f.Contains("LoadBalancing must be one of") && f.Contains("Adaptive"))
            .And.Contain(static f => f.Contains("Hedging.Delay must be positive"));

        var serving = () => new Partitioned.Serving.ServingOptions { Hedging = new HedgingOptions { Budget = 0 } }.Validate();
        serving.Should().Throw<Microsoft.Extensions.Options.OptionsValidationException>().Which.Failures.Should().Contain(static f => f.Contains("Hedging.Budget"));
    }

    private PartitionClients Clients(Partitioned.Coordination.PartitionDirectory directory, HedgingOptions hedging, string policy = LoadBalancingPolicies.RoundRobin) =>
        new(directory, TimeSpan.FromSeconds(30), policy: policy, hedging: hedging, timeProvider: _time);

    // Advances the fake clock while A holds the request (so only requests A sits on are hedged), until it completes.
    private async Task<T> PumpAsync<T>(Func<Task<T>> send)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        var before = _a.Hits;
        var request = send();
        while (!request.IsCompleted && DateTime.UtcNow < deadline)
        {
            if (_a.Hits > before)
            {
                _time.Advance(s_delay);
            }

            await Task.WhenAny(request, Task.Delay(10));
        }

        return await request;
    }

    private async Task PumpTimeAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            _time.Advance(s_delay);
            await Task.Delay(5, CancellationToken.None);
        }
    }

    private static MeterListener Listen(string instrument, Action<long> measured)
    {
        var listener = new MeterListener
        {
            InstrumentPublished = (i, l) =>
            {
                if (i.Meter.Name == "Partitioned.Routing" && i.Name == instrument)
                {
                    l.EnableMeasurementEvents(i);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((_, value, _, _) => measured(value));
        listener.Start();
        return listener;
    }
}
