namespace Partitioned.Routing;

/// <summary>
/// A smoothed estimate of a round trip and of its variation, as TCP keeps them (RFC 6298): the basis of every timeout
/// this library derives from what it observes (health checks, per-try timeouts of resendable requests). Thread-safe:
/// samples and reads may race; a read sees a recent consistent pair.
/// </summary>
internal sealed class RoundTripEstimate
{
    private readonly Lock _gate = new();
    private double _smoothedMs = -1;
    private double _variationMs;
    private long _samples;

    /// <summary>How many round trips were observed.</summary>
    public long Samples => Volatile.Read(ref _samples);

    /// <summary>The smoothed round trip, or null before the first sample.</summary>
    public TimeSpan? Smoothed
    {
        get
        {
            lock (_gate)
            {
                return _smoothedMs < 0 ? null : TimeSpan.FromMilliseconds(_smoothedMs);
            }
        }
    }

    /// <summary>Smoothed round trip plus four times its variation (TCP's retransmission timeout), or null before the first sample.</summary>
    public TimeSpan? Timeout
    {
        get
        {
            lock (_gate)
            {
                return _smoothedMs < 0 ? null : TimeSpan.FromMilliseconds(_smoothedMs + (4 * _variationMs));
            }
        }
    }

    /// <summary>Adds one observed round trip.</summary>
    public void Add(TimeSpan roundTrip)
    {
        var sample = roundTrip.TotalMilliseconds;
        lock (_gate)
        {
            if (_smoothedMs < 0)
            {
                _smoothedMs = sample;
                _variationMs = sample / 2;
            }
            else
            {
                _variationMs = (0.75 * _variationMs) + (0.25 * Math.Abs(_smoothedMs - sample));
                _smoothedMs = (0.875 * _smoothedMs) + (0.125 * sample);
            }

            _samples++;
        }
    }
}
