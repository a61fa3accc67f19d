namespace Partitioned.Clustering;

/// <summary>
/// The autoscaling decision, per partition, apart from everything it acts on (so tests drive it with a fake clock).
/// Samples of a partition's requests in flight (summed over its serving replicas) are averaged per window. A window is
/// above when that average over the serving replicas exceeds the target; below when it would stay under the target with
/// one replica fewer (the band between is the hysteresis: a load that just justified a scale-up never justifies the
/// scale-down right after). Scale up after <see cref="AutoscaleOptions.ScaleUpWindows"/> windows above in a row, down
/// after <see cref="AutoscaleOptions.ScaleDownWindows"/> below in a row, each within the bounds and at most once per
/// <see cref="AutoscaleOptions.Cooldown"/>. Not thread-safe: one loop owns it.
/// </summary>
internal sealed class AutoscalePolicy
{
    private readonly AutoscaleOptions _options;
    private readonly TimeProvider _time;
    private readonly Partition[] _partitions;

    public AutoscalePolicy(AutoscaleOptions options, int partitions, TimeProvider time)
    {
        _options = options;
        _time = time;
        var now = time.GetTimestamp();
        _partitions = [.. Enumerable.Range(0, partitions).Select(_ => new Partition { WindowStarted = now })];
    }

    /// <summary>One sample: <paramref name="inFlight"/> requests in flight over the partition's serving replicas.</summary>
    public void Observe(int partition, double inFlight)
    {
        var state = _partitions[partition];
        state.Sum += inFlight;
        state.Samples++;
    }

    /// <summary>
    /// Closes the partition's window if it is over, and decides: <see cref="AutoscaleStep.None"/> until a window closes,
    /// then a step when the windows in a row, the bounds and the cooldown allow it.
    /// </summary>
    /// <param name="partition">The partition.</param>
    /// <param name="serving">Its replicas serving now: the load is shared by these.</param>
    /// <param name="inUse">Its replicas in use (serving, starting, or being re-launched): the bounds count these.</param>
    public AutoscaleStep Decide(int partition, int serving, int inUse)
    {
        var state = _partitions[partition];
        var now = _time.GetTimestamp();
        if (_time.GetElapsedTime(state.WindowStarted, now) < _options.Window)
        {
            return AutoscaleStep.None;
        }

        // A window without samples (no replica answered a health check) says nothing: the counts in a row start over.
        var mean = state.Samples == 0 ? double.NaN : state.Sum / state.Samples;
        (state.WindowStarted, state.Sum, state.Samples) = (now, 0, 0);
        if (serving <= 0 || double.IsNaN(mean))
        {
            (state.Above, state.Below) = (0, 0);
            return AutoscaleStep.None;
        }

        var above = mean / serving > _options.TargetInFlight;
        var below = serving > 1 && mean / (serving - 1) < _options.TargetInFlight;
        state.Above = above ? state.Above + 1 : 0;
        state.Below = below ? state.Below + 1 : 0;
        LastMean = mean;

        var cooled = state.LastStep is not { } last || _time.GetElapsedTime(last, now) >= _options.Cooldown;
        if (!cooled)
        {
            return AutoscaleStep.None;
        }

        if (state.Above >= _options.ScaleUpWindows && inUse < _options.MaxReplicas)
        {
            return AutoscaleStep.Up;
        }

        // Down only while every replica in use serves: one being re-launched is no spare to give back.
        return state.Below >= _options.ScaleDownWindows && inUse > _options.MinReplicas && serving == inUse ? AutoscaleStep.Down : AutoscaleStep.None;
    }

    /// <summary>The mean in flight of the window closed last (for logs).</summary>
    public double LastMean { get; private set; }

    /// <summary>
    /// A step of the partition began or ended: the cooldown counts from now, and the windows in a row start over, so the
    /// next decision only sees load measured with the replicas the step left.
    /// </summary>
    public void Stepped(int partition)
    {
        var state = _partitions[partition];
        var now = _time.GetTimestamp();
        (state.LastStep, state.WindowStarted, state.Sum, state.Samples, state.Above, state.Below) = (now, now, 0, 0, 0, 0);
    }

    private sealed class Partition
    {
        public long WindowStarted;
        public double Sum;
        public int Samples;
        public int Above;
        public int Below;
        public long? LastStep;
    }
}
