namespace Partitioned.Routing;

/// <summary>
/// Adaptive replica selection (<see cref="SelectionPolicy.Adaptive"/>), after C3 (Suresh et al., NSDI 2015) and
/// Elasticsearch's adaptive replica selection: each replica slot keeps moving averages of its response time and of the
/// queue depth it reports with its answers (<see cref="QueueHeader"/>); the rank is
/// <c>R - S + (1 + outstanding + Q)^3 * S</c>, with <c>R</c> the response time, <c>Q</c> the reported queue and
/// <c>S = R / (1 + Q)</c> the service time it implies. The cube punishes a growing queue (including requests this
/// router has under way there) far more than a slightly slower answer, so a replica that stalls loses its share at
/// once, before its first slow answer comes back.
/// </summary>
/// <remarks>
/// Three guards against what adaptive selection's users ran into: a replica without statistics gets at most
/// <see cref="MaxProbes"/> requests in flight (a new replica is not flooded because it ranks best with nothing known);
/// statistics fade with age (half-life <see cref="HalfLife"/>), so a replica passed over for being slow is tried again
/// once it could have recovered; and the choice is random among ranks within <see cref="NearEqual"/> of the best, so
/// routers that see the same numbers do not herd onto the same replica.
/// </remarks>
internal sealed class ReplicaRanks(int slots, TimeProvider time)
{
    /// <summary>
    /// The response header a partition sends with each serving answer: requests waiting in that service's queue on
    /// the replica when it answered.
    /// </summary>
    public const string QueueHeader = "Partitioned-Queue";

    /// <summary>Answers a replica must have given before its rank is trusted.</summary>
    public const int MinSamples = 3;

    /// <summary>Requests in flight at once to a replica without statistics.</summary>
    public const int MaxProbes = 2;

    /// <summary>Ranks within this factor of the best are chosen among at random.</summary>
    public const double NearEqual = 1.25;

    /// <summary>How fast statistics fade when a replica gives no answers (it is not chosen).</summary>
    public static readonly TimeSpan HalfLife = TimeSpan.FromMilliseconds(250);

    // Elasticsearch's weight for new samples: a stall shows after one answer, a recovery after a few.
    private const double Alpha = 0.3;

    private readonly Stats[] _stats = [.. Enumerable.Range(0, slots).Select(static _ => new Stats())];

    /// <summary>Answers observed at a slot (tests and the bench read it).</summary>
    public long SamplesAt(int slot) => Volatile.Read(ref _stats[slot].Samples);

    /// <summary>Adds one answer's response time.</summary>
    public void Observe(int slot, TimeSpan responseTime)
    {
        var stats = _stats[slot];
        var now = time.GetTimestamp();
        lock (stats)
        {
            var ms = responseTime.TotalMilliseconds;
            stats.ResponseMs = stats.Samples == 0 ? ms : (Alpha * ms) + ((1 - Alpha) * Faded(stats, now));
            stats.Updated = now;
            stats.Samples++;
        }
    }

    /// <summary>Adds one reported queue depth.</summary>
    public void ObserveQueue(int slot, int depth)
    {
        var stats = _stats[slot];
        lock (stats)
        {
            stats.Queue = stats.HasQueue ? (Alpha * depth) + ((1 - Alpha) * stats.Queue) : depth;
            stats.HasQueue = true;
        }
    }

    /// <summary>A new attempt took the slot: what was learned of its predecessor says nothing of it.</summary>
    public void Reset(int slot)
    {
        var stats = _stats[slot];
        lock (stats)
        {
            stats.Samples = 0;
            stats.Queue = 0;
            stats.HasQueue = false;
        }
    }

    /// <summary>The index in <paramref name="candidates"/> to send to.</summary>
    /// <param name="candidates">Two or more replicas.</param>
    /// <param name="replicas">Replicas per partition (for slots).</param>
    /// <param name="outstanding">Requests this router has under way, per slot.</param>
    public int Choose(IReadOnlyList<ReplicaTarget> candidates, int replicas, Func<int, int> outstanding)
    {
        var now = time.GetTimestamp();
        Span<double> ranks = candidates.Count <= 32 ? stackalloc double[candidates.Count] : new double[candidates.Count];
        var best = double.MaxValue;
        var probe = -1;
        for (var i = 0; i < candidates.Count; i++)
        {
            var slot = candidates[i].Slot(replicas);
            var inFlight = outstanding(slot);
            ranks[i] = Rank(_stats[slot], inFlight, now);
            if (double.IsNaN(ranks[i]))
            {
                // Nothing known: a probe, if it has room for one; the first such found wins (checked in a random order below).
                ranks[i] = double.PositiveInfinity;
                if (inFlight < MaxProbes && (probe < 0 || Random.Shared.Next(2) == 0))
                {
                    probe = i;
                }
            }
            else if (ranks[i] < best)
            {
                best = ranks[i];
            }
        }

        if (probe >= 0)
        {
            return probe;
        }

        if (best == double.MaxValue)
        {
            // Every candidate is unknown and full of probes: spread by what is under way.
            var least = 0;
            for (var i = 1; i < candidates.Count; i++)
            {
                if (outstanding(candidates[i].Slot(replicas)) < outstanding(candidates[least].Slot(replicas)))
                {
                    least = i;
                }
            }

            return least;
        }

        // Random among the near-equal: reservoir sampling over those within NearEqual of the best.
        var limit = best <= 0 ? 0 : best * NearEqual;
        var chosen = -1;
        var seen = 0;
        for (var i = 0; i < candidates.Count; i++)
        {
            if (ranks[i] <= limit && Random.Shared.Next(++seen) == 0)
            {
                chosen = i;
            }
        }

        return chosen;
    }

    // NaN when too little is known.
    private double Rank(Stats stats, int inFlight, long now)
    {
        lock (stats)
        {
            if (stats.Samples < MinSamples)
            {
                return double.NaN;
            }

            var response = Faded(stats, now);
            var queue = stats.Queue * Fade(stats, now);
            var service = response / (1 + queue);
            var depth = 1 + inFlight + queue;
            return response - service + (depth * depth * depth * service);
        }
    }

    private double Faded(Stats stats, long now) => stats.ResponseMs * Fade(stats, now);

    private double Fade(Stats stats, long now) =>
        Math.Pow(0.5, time.GetElapsedTime(stats.Updated, now).TotalMilliseconds / HalfLife.TotalMilliseconds);

    private sealed class Stats
    {
        public long Samples;
        public double ResponseMs;
        public double Queue;
        public bool HasQueue;
        public long Updated;
    }
}
