namespace Partitioned.Serving;

/// <summary>
/// How often requests arrive at one service, from the running count of queued requests sampled by the batch loop:
/// each sample spans at least a millisecond (or 16 arrivals), and the rate is an exponentially weighted mean of the
/// samples, a quarter per sample, so it follows a burst within a few milliseconds. Used by the batch loop's thread only.
/// </summary>
internal sealed class ArrivalRate(TimeProvider time)
{
    private const double Smoothing = 0.25;

    private static readonly TimeSpan s_minSpan = TimeSpan.FromMilliseconds(1);

    private long _lastCount;
    private long _lastAt = long.MinValue;
    private double _perSecond = double.NaN;

    /// <summary>The expected time to the next arrival, in seconds: infinite until a rate was measured, or when nothing arrives.</summary>
    public double ExpectedGap => double.IsNaN(_perSecond) || _perSecond <= 0 ? double.PositiveInfinity : 1 / _perSecond;

    /// <summary>The service has queued <paramref name="total"/> requests since it started.</summary>
    public void Observe(long total)
    {
        var now = time.GetTimestamp();
        if (_lastAt == long.MinValue)
        {
            (_lastCount, _lastAt) = (total, now);
            return;
        }

        var span = time.GetElapsedTime(_lastAt, now);
        var arrived = total - _lastCount;
        if (span < s_minSpan && arrived < 16)
        {
            return;
        }

        var sample = arrived / Math.Max(span.TotalSeconds, 1e-6);
        _perSecond = double.IsNaN(_perSecond) ? sample : _perSecond + (Smoothing * (sample - _perSecond));
        (_lastCount, _lastAt) = (total, now);
    }
}
