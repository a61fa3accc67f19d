namespace Partitioned.Serving;

/// <summary>
/// The closing rule of a micro-batch service with a <see cref="ServiceOptions.LatencyTarget"/>: how long a batch being
/// gathered may still wait for one more request. Every request is due at its arrival plus the target (or at its
/// deadline, if sooner); a batch is due when its most urgent request is. Then:
/// <list type="bullet">
/// <item>never wait past the batch's due time minus the predicted time of the batch with one more request: waiting any
/// longer for one more would make its most urgent request late even if the model is right;</item>
/// <item>while the handler is busy (every handler slot taken), gather up to that bound: the batch cannot start earlier anyway;</item>
/// <item>while the handler is idle, wait only when waiting pays: the next request is expected sooner than the cost it
/// saves by joining (the fitted fixed cost of a batch, a), and before the bound. Otherwise the batch goes at once, so at
/// low load a request is not held for a window. Waiting is capped at two expected gaps, so a burst that ended does not
/// hold the batch to its bound;</item>
/// <item>before any batch was observed (a cold start), the batch goes as soon as the handler is free, which measures the cost.</item>
/// </list>
/// </summary>
internal sealed class LatencyTargetWindow(TimeSpan target, TimeProvider time)
{
    private readonly long _targetTicks = Ticks(target.TotalSeconds, time);

    public BatchCostModel Cost { get; } = new();

    public ArrivalRate Arrivals { get; } = new(time);

    public TimeSpan Target => target;

    /// <summary>When a request is due: its arrival plus the target, or its deadline if that comes first.</summary>
    public long DueOf<TRequest, TReply>(ServiceRequest<TRequest, TReply> request) =>
        Math.Min(request.ArrivedTimestamp + _targetTicks, request.DeadlineTimestamp);

    /// <summary>
    /// Until when (a timestamp of the time provider) a batch of <paramref name="count"/> requests, due at
    /// <paramref name="due"/>, may wait for one more; at or before <paramref name="now"/>: close it now.
    /// </summary>
    /// <param name="now">The current timestamp.</param>
    /// <param name="due">When the batch's most urgent request is due (<see cref="DueOf"/>).</param>
    /// <param name="count">Requests in the batch so far.</param>
    /// <param name="handlerBusy">Every handler slot is taken: the batch could not start before one is released.</param>
    public long WaitUntil(long now, long due, int count, bool handlerBusy)
    {
        var latest = due - Ticks(Cost.Predict(count + 1), time);
        if (latest <= now)
        {
            return now;
        }

        if (handlerBusy)
        {
            return latest;
        }

        var gap = Arrivals.ExpectedGap;
        if (!Cost.HasData || gap >= Cost.FixedCost || now + Ticks(gap, time) > latest)
        {
            return now;
        }

        return Math.Min(latest, now + Ticks(2 * gap, time));
    }

    private static long Ticks(double seconds, TimeProvider time) =>
        double.IsFinite(seconds) ? (long)Math.Ceiling(seconds * time.TimestampFrequency) : long.MaxValue / 4;
}
