using Partitioned.Routing;

namespace Partitioned.Coordination;

/// <summary>
/// How long one health check of one replica may take, derived from that replica's observed round trips the way TCP
/// derives its retransmission timeout (RFC 6298): smoothed round trip plus four times its variation, within
/// [<see cref="Floor"/>, <see cref="Cap"/>], and 1.25 times longer after each failure in a row (a slow replica gets more time
/// before it is declared lost; a silent one is still declared lost within a few seconds). A fixed timeout replaces all
/// of this when the user sets one.
/// </summary>
/// <remarks>
/// Why: a fixed 5 s timeout let a node cut off the network (packets dropped, no reset) hold requests for 15 s before
/// it was declared lost. Round trips on a cluster network are milliseconds, so a timeout of a few hundred milliseconds
/// tells a silent node from a busy one; the floor keeps a garbage-collection pause or a loaded machine from looking
/// like a dead node. Not thread-safe: one probe loop owns it.
/// </remarks>
internal sealed class ProbeTimeout(TimeSpan? fixedTimeout)
{
    /// <summary>The shortest adaptive timeout: round trips below it are noise, not a signal.</summary>
    public static readonly TimeSpan Floor = TimeSpan.FromMilliseconds(400);

    /// <summary>The longest adaptive timeout (the fixed default of earlier versions).</summary>
    public static readonly TimeSpan Cap = TimeSpan.FromSeconds(5);

    /// <summary>
    /// The timeout before any round trip was observed: generous, because a replica's first checks come while it warms up
    /// (its code compiling on first use), and nothing is known yet of its network.
    /// </summary>
    public static readonly TimeSpan Initial = TimeSpan.FromSeconds(2);

    private const double BackoffFactor = 1.25;

    private readonly RoundTripEstimate _roundTrips = new();
    private int _failures;

    /// <summary>The timeout of the next check.</summary>
    public TimeSpan Next
    {
        get
        {
            if (fixedTimeout is { } fixedValue)
            {
                return fixedValue;
            }

            var baseline = _roundTrips.Timeout is { } derived ? (derived > Floor ? derived : Floor) : Initial;
            var timeout = baseline * Math.Pow(BackoffFactor, Math.Min(_failures, 16));
            return timeout < Cap ? timeout : Cap;
        }
    }

    /// <summary>A check was answered after <paramref name="roundTrip"/>.</summary>
    public void Answered(TimeSpan roundTrip)
    {
        _roundTrips.Add(roundTrip);
        _failures = 0;
    }

    /// <summary>A check failed (timed out or refused): the next one waits longer.</summary>
    public void Failed() => _failures++;
}
