using Microsoft.Extensions.Time.Testing;
using Partitioned.Serving;

namespace Partitioned.Tests.Serving;

/// <summary>
/// The closing rule of latency-target micro-batching (<see cref="LatencyTargetWindow"/>), its cost model and its
/// earliest-deadline-first queue, on fake time; and a simulation of one handler slot that runs the rule as the batch
/// loop does, with a handler whose cost is exactly a + b x n (the model is right).
/// </summary>
public sealed class LatencyTargetBatchingRuleTests
{
    private static readonly TimeSpan s_target = TimeSpan.FromMilliseconds(10);

    [Fact]
    public void CostModel_ExactLinearCost_FitsFixedAndPerRequestCost()
    {
        var model = new BatchCostModel();

        foreach (var size in Enumerable.Range(0, 200).Select(static i => 1 + (i * 7 % 64)))
        {
            model.Observe(size, Cost(size));
        }

        model.FixedCost.Should().BeApproximately(0.001, 1e-6);
        model.CostPerRequest.Should().BeApproximately(0.00005, 1e-8);
        model.Predict(32).Should().BeApproximately(Cost(32), 1e-6);
    }

    [Fact]
    public void CostModel_OneHundredfoldOutlier_MovesThePredictionByAFewPercent()
    {
        var model = Trained();
        var before = model.Predict(32);

        model.Observe(16, 100 * Cost(16));

        model.Predict(32).Should().BeInRange(before, before * 1.05, "a GC pause in one batch must not make every later batch look slow");
    }

    [Fact]
    public void CostModel_ColdStart_PredictsNothingThenTheWholeCostPerRequest()
    {
        var model = new BatchCostModel();
        model.HasData.Should().BeFalse();
        model.Predict(10).Should().Be(0);

        model.Observe(8, 0.004);

        model.HasData.Should().BeTrue();
        model.FixedCost.Should().Be(0, "one batch size cannot tell the fixed cost from the cost per request");
        model.Predict(16).Should().BeApproximately(0.008, 1e-9, "until two sizes are seen, a bigger batch is predicted to cost proportionally more (errs towards closing early)");
    }

    [Fact]
    public void WaitUntil_ColdStart_HandlerIdle_ClosesAtOnce()
    {
        var time = new FakeTimeProvider();
        var window = new LatencyTargetWindow(s_target, time);
        Arrive(window, time, every: TimeSpan.FromMicroseconds(50), count: 100);
        var now = time.GetTimestamp();

        window.WaitUntil(now, now + Ticks(s_target, time), 1, handlerBusy: false).Should().Be(now);
    }

    [Fact]
    public void WaitUntil_LowLoad_SingleRequestIsNotHeld()
    {
        var time = new FakeTimeProvider();
        var window = WindowWithCost(time);
        Arrive(window, time, every: TimeSpan.FromMilliseconds(20), count: 20);
        var now = time.GetTimestamp();

        window.WaitUntil(now, now + Ticks(s_target, time), 1, handlerBusy: false)
            .Should().Be(now, "the next request is expected in 20 ms, later than the 1 ms a batch saves by waiting for it");
    }

    [Fact]
    public void WaitUntil_HighLoad_WaitsForMoreWithinTheBound()
    {
        var time = new FakeTimeProvider();
        var window = WindowWithCost(time);
        Arrive(window, time, every: TimeSpan.FromMicroseconds(100), count: 200);
        var now = time.GetTimestamp();
        var due = now + Ticks(s_target, time);

        var until = window.WaitUntil(now, due, 4, handlerBusy: false);

        until.Should().BeGreaterThan(now, "a request every 0.1 ms costs less than the 1 ms a batch saves");
        until.Should().BeLessThanOrEqualTo(now + Ticks(TimeSpan.FromMicroseconds(200), time) + 1, "waiting is capped at two expected gaps");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void WaitUntil_NeverPastTheDueTimeMinusThePredictedBatch(bool busy)
    {
        var time = new FakeTimeProvider();
        var window = WindowWithCost(time);
        Arrive(window, time, every: TimeSpan.FromMicroseconds(10), count: 500);
        var now = time.GetTimestamp();

        foreach (var count in Enumerable.Range(1, 64))
        {
            foreach (var dueIn in new[] { 0.0005, 0.002, 0.005, 0.01, 0.05 })
            {
                var due = now + (long)(dueIn * time.TimestampFrequency);
                var until = window.WaitUntil(now, due, count, busy);
                var latest = due - (long)Math.Ceiling(window.Cost.Predict(count + 1) * time.TimestampFrequency);
                until.Should().BeLessThanOrEqualTo(Math.Max(now, latest), $"a batch of {count} due in {dueIn * 1000} ms must not wait past its due time minus the predicted batch");
            }
        }
    }

    [Fact]
    public void WaitUntil_HandlerBusy_GathersUpToTheBound()
    {
        var time = new FakeTimeProvider();
        var window = WindowWithCost(time);
        Arrive(window, time, every: TimeSpan.FromMilliseconds(20), count: 20);
        var now = time.GetTimestamp();
        var due = now + Ticks(s_target, time);

        var until = window.WaitUntil(now, due, 3, handlerBusy: true);

        until.Should().Be(due - (long)Math.Ceiling(window.Cost.Predict(4) * time.TimestampFrequency), "while the handler is busy the batch cannot start anyway");
    }

    [Fact]
    public void Simulation_LowLoad_NoRequestWaitsForABatch()
    {
        var result = Simulate(perSecond: 100, requests: 300);

        result.Waited.Should().OnlyContain(w => w == TimeSpan.Zero, "an idle handler takes a lone request at once");
        result.Sizes.Should().OnlyContain(s => s == 1);
    }

    [Fact]
    public void Simulation_HighLoad_BatchesFillAndNoRequestIsLate()
    {
        // Capacity with the model's cost (1 ms + 0.05 ms per request, batches of up to 64) is about 15,000 requests/s.
        var result = Simulate(perSecond: 12_000, requests: 20_000);

        result.Sizes.Average().Should().BeGreaterThan(8, "at high load requests share batches");
        result.Latencies.Skip(200).Should().OnlyContain(l => l <= s_target, "with the model right, no request finishes past the target once the model has data");
    }

    [Fact]
    public void Simulation_Overload_BatchesAreFull()
    {
        var result = Simulate(perSecond: 40_000, requests: 4_000, warmFirst: true);

        result.Sizes.Skip(5).SkipLast(1).Should().OnlyContain(s => s == 64, "beyond capacity every batch fills to MaxBatchSize (the last takes what is left)");
    }

    [Fact]
    public void Queue_EarliestDeadlineFirst_TiesInArrivalOrder()
    {
        var queue = new RequestQueue<int, int>(earliestDeadlineFirst: true);
        foreach (var (id, deadline) in new[] { ("a", 50L), ("b", 10L), ("c", 30L), ("d", 10L) })
        {
            queue.TryWrite(Request(id, deadline)).Should().BeTrue();
        }

        var order = new List<string>();
        while (queue.TryRead(out var request))
        {
            order.Add(request.Id);
        }

        order.Should().Equal("b", "d", "c", "a");
    }

    [Fact]
    public void Queue_Completed_RefusesNewRequestsButGivesBackWaitingOnes()
    {
        var queue = new RequestQueue<int, int>(earliestDeadlineFirst: true);
        queue.TryWrite(Request("a", 1));

        queue.Complete();

        queue.TryWrite(Request("b", 0)).Should().BeFalse();
        queue.TryRead(out var left).Should().BeTrue();
        left.Id.Should().Be("a");
    }

    [Fact]
    public void Options_LatencyTargetProblems_AllNamedAtOnce()
    {
        var act = () => ServiceDefinition.Create("x", (HelloRequest r) => new HelloReply(1), new ServiceOptions
        {
            LatencyTarget = TimeSpan.FromSeconds(20),
            MaxBatchDelay = TimeSpan.FromMilliseconds(2),
        });

        var error = act.Should().Throw<Microsoft.Extensions.Options.OptionsValidationException>().Which;
        error.Failures.Should().HaveCount(3);
        error.Message.Should().Contain("shorter than Deadline").And.Contain("Mode = ProcessingMode.MicroBatch").And.Contain("not both");
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-5)]
    public void Options_LatencyTargetNotPositive_IsRejected(int milliseconds)
    {
        var act = () => ServiceDefinition.CreateBatch("x", (IReadOnlyList<HelloRequest> b) => b.Select(static r => new HelloReply(1)).ToList(),
            new ServiceOptions { Mode = ProcessingMode.MicroBatch, LatencyTarget = TimeSpan.FromMilliseconds(milliseconds) });

        act.Should().Throw<Microsoft.Extensions.Options.OptionsValidationException>().WithMessage("*LatencyTarget must be positive*");
    }

    [Fact]
    public void Options_LatencyTargetAlone_IsAccepted_AndTheFixedWindowStaysTheDefault()
    {
        var options = new ServiceOptions { Mode = ProcessingMode.MicroBatch, LatencyTarget = TimeSpan.FromMilliseconds(20) };

        options.Validate().Should().BeEmpty();
        new ServiceOptions().LatencyTarget.Should().BeNull();
        new ServiceOptions().MaxBatchDelay.Should().Be(TimeSpan.FromMilliseconds(5));
        (options with { LatencyTarget = null, MaxBatchDelay = TimeSpan.FromMilliseconds(1) }).Validate().Should().BeEmpty();
    }

    /// <summary>The handler's true cost: 1 ms per batch plus 0.05 ms per request.</summary>
    private static double Cost(int size) => 0.001 + (0.00005 * size);

    private static BatchCostModel Trained()
    {
        var model = new BatchCostModel();
        foreach (var size in Enumerable.Range(0, 100).Select(static i => 1 + (i * 7 % 64)))
        {
            model.Observe(size, Cost(size));
        }

        return model;
    }

    private static LatencyTargetWindow WindowWithCost(TimeProvider time)
    {
        var window = new LatencyTargetWindow(s_target, time);
        foreach (var size in Enumerable.Range(0, 100).Select(static i => 1 + (i * 7 % 64)))
        {
            window.Cost.Observe(size, Cost(size));
        }

        return window;
    }

    private static void Arrive(LatencyTargetWindow window, FakeTimeProvider time, TimeSpan every, int count)
    {
        window.Arrivals.Observe(0);
        for (var i = 1; i <= count; i++)
        {
            time.Advance(every);
            window.Arrivals.Observe(i);
        }
    }

    private static long Ticks(TimeSpan span, TimeProvider time) => (long)Math.Ceiling(span.TotalSeconds * time.TimestampFrequency);

    private static ServiceRequest<int, int> Request(string id, long deadline) =>
        new(id, 0, new HttpReplySink<int>(), new OfflineRuntime<int, int>(), arrivedTimestamp: 0) { DeadlineTimestamp = deadline };

    /// <summary>
    /// One handler slot on fake time, gathering exactly as <c>MicroBatchLoop.RunToTarget</c> does: take what is queued,
    /// ask the window, wait for the next arrival, the window's time or the handler's release, whichever comes first.
    /// Arrivals are evenly spaced at <paramref name="perSecond"/>; each batch costs exactly <see cref="Cost"/>, learned
    /// by the model when the batch ends.
    /// </summary>
    private static SimulationResult Simulate(int perSecond, int requests, bool warmFirst = false)
    {
        const int maxSize = 64;
        var time = new FakeTimeProvider();
        var window = warmFirst ? WindowWithCost(time) : new LatencyTargetWindow(s_target, time);
        var frequency = (double)time.TimestampFrequency;
        var start = time.GetTimestamp();
        var arrivals = Enumerable.Range(0, requests).Select(i => start + (long)(i * frequency / (double)perSecond)).ToArray();
        var latencies = new List<TimeSpan>();
        var waited = new List<TimeSpan>();
        var sizes = new List<int>();
        var next = 0;
        var handlerFreeAt = start;
        (int Size, double Seconds, long At)? running = null;

        void AdvanceTo(long at)
        {
            var now = time.GetTimestamp();
            if (at > now)
            {
                time.Advance(TimeSpan.FromSeconds((at - now) / frequency));
            }

            if (running is { } batch && time.GetTimestamp() >= batch.At)
            {
                window.Cost.Observe(batch.Size, batch.Seconds);
                running = null;
            }

            var index = Array.BinarySearch(arrivals, time.GetTimestamp());
            window.Arrivals.Observe(index >= 0 ? index + 1 : ~index);
        }

        while (next < requests)
        {
            AdvanceTo(Math.Max(time.GetTimestamp(), arrivals[next]));
            var batch = new List<long> { arrivals[next++] };
            var due = batch[0] + (long)(s_target.TotalSeconds * frequency);
            while (batch.Count < maxSize)
            {
                if (next < requests && arrivals[next] <= time.GetTimestamp())
                {
                    batch.Add(arrivals[next++]);
                    continue;
                }

                var now = time.GetTimestamp();

                var busy = handlerFreeAt > now;
                var until = window.WaitUntil(now, due, batch.Count, busy);
                if (until <= now)
                {
                    break;
                }

                var wake = Math.Min(until, next < requests ? arrivals[next] : long.MaxValue);
                AdvanceTo(busy ? Math.Min(wake, handlerFreeAt) : wake);
            }

            // Like the loop, the batch waits for the handler before the next one starts gathering.
            var started = Math.Max(time.GetTimestamp(), handlerFreeAt);
            AdvanceTo(started);
            var seconds = Cost(batch.Count);
            var finished = started + (long)Math.Ceiling(seconds * frequency);
            handlerFreeAt = finished;
            running = (batch.Count, seconds, finished);
            sizes.Add(batch.Count);
            latencies.AddRange(batch.Select(a => TimeSpan.FromSeconds((finished - a) / frequency)));
            waited.AddRange(batch.Select(a => TimeSpan.FromSeconds((started - a) / frequency)));
        }

        return new SimulationResult(latencies, waited, sizes);
    }

    private sealed record SimulationResult(List<TimeSpan> Latencies, List<TimeSpan> Waited, List<int> Sizes);
}
