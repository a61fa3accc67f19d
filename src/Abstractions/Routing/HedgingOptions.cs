namespace Partitioned.Routing;

/// <summary>
/// Hedged requests: when a request to an idempotent service (or an idempotent HTTP method) has not been answered after
/// <see cref="Delay"/>, the same request goes to the next-ranked replica of the same partition as well; the first answer
/// wins and the other request is cancelled. A request that is not idempotent is never hedged. Hedges are limited to a
/// <see cref="Budget"/>, so a cluster that is slow everywhere is not sent twice its load.
/// </summary>
public sealed record HedgingOptions
{
    /// <summary>
    /// How long to wait for an answer before hedging. Default null: the 95th percentile of the last 256 answers of the
    /// same service (through the gateway or a balancer) or partition (through a partition client); no hedge before 16
    /// answers were observed.
    /// </summary>
    public TimeSpan? Delay { get; init; }

    /// <summary>
    /// Hedges allowed per request sent, from 0 (exclusive) to 1: a token bucket that starts empty, gains this much per
    /// request and holds at most a hundred hedges, so hedges never exceed this share of requests. Default 0.05 (5%).
    /// </summary>
    public double Budget { get; init; } = 0.05;

    /// <summary>The problems with these options, each naming the setting; empty when valid.</summary>
    internal IEnumerable<string> Problems(string owner)
    {
        if (Delay is { } delay && delay <= TimeSpan.Zero)
        {
            yield return $"{owner}.{nameof(Delay)} must be positive or null for the observed 95th percentile (was {delay}).";
        }

        if (!(Budget > 0 && Budget <= 1))
        {
            yield return $"{owner}.{nameof(Budget)} must be above 0 and at most 1 (was {Budget}).";
        }
    }
}
