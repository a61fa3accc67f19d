namespace Partitioned.Routing;

/// <summary>
/// A smoothed estimate of a round trip and of its variation, as TCP keeps them (RFC 6298): the basis of every timeout
/// this library derives from what it observes (health checks, per-try timeouts of resendable requests). Thread-safe:
/// samples and reads may race; a read sees a recent consistent pair.
/// </summary>
internal sealed class RoundTripEstimate
{
    // The last answers, for the 95th percentile hedged requests wait for (recomputed every QuantileEvery samples).
    private const int Window = 256;
    private const int QuantileEvery = 16;

    private readonly Lock _gate = new();
    private readonly double[] _window = new double[Window];
    private double _p95Ms = -1;
    private long _p95At;
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

    /// <summary>The 95th percentile of the last 256 round trips, or null before <paramref name="minSamples"/> were observed.</summary>
    public TimeSpan? P95(int minSamples)
    {
        lock (_gate)
        {
            if (_samples < minSamples)
            {
                return null;
            }

            if (_p95Ms < 0 || _samples - _p95At >= QuantileEvery)
            {
                var count = (int)Math.Min(_samples, Window);
                var sorted = _window.AsSpan(0, count).ToArray();
                Array.Sort(sorted);
                _p95At = _samples;
                _p95Ms = sorted[Math.Min(count - 1, (int)Math.Ceiling(0.95 * count) - 1)];
            }

            return TimeSpan.FromMilliseconds(_p95Ms);
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

            _window[_samples % Window] = sample;
            _samples++;
        }
    }
}
