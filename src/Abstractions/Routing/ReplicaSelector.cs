using Partitioned.Directories;

namespace Partitioned.Routing;

/// <summary>
/// The one replica picker of every router (the per-partition clients, the client-side balancer, the gateway; on the
/// driver and in <c>Partitioned.Client</c>). Candidates are the serving replicas of the directory, in this order of
/// preference: healthy ones no request just failed on; then any serving one (a replica the coordinator suspects, or
/// one a request failed on less than <see cref="Suspicion"/> ago); never one the caller excludes. Among the preferred
/// the policy chooses (the adaptive one ranks them by how they answered: <see cref="ReplicaRanks"/>). Every pick counts
/// as under way until <see cref="Complete"/>.
/// </summary>
internal sealed class ReplicaSelector
{
    /// <summary>How long a replica a request failed to reach is passed over (one rule for every router).</summary>
    public static readonly TimeSpan Suspicion = TimeSpan.FromSeconds(1);

    private readonly IPartitionDirectory _directory;
    private readonly TimeProvider _time;
    private readonly SelectionPolicy _policy;
    private readonly int _replicas;
    private readonly int[] _outstanding;
    private readonly (Uri? Endpoint, long Until)[] _suspects;
    private readonly ReplicaRanks? _ranks;
    private readonly int[] _attempts;
    private Candidates _cache = new(-1, [], [], [], []);
    private long _suspicionEnds;
    // One turn per partition (and one for picks over every partition): with one shared turn, a scatter-gather over an
    // even number of partitions advanced it by an even step each time, and each partition kept getting the same replica.
    private readonly int[] _turns;

    public ReplicaSelector(IPartitionDirectory directory, SelectionPolicy policy, TimeProvider? timeProvider = null)
    {
        _directory = directory;
        _policy = policy;
        _time = timeProvider ?? TimeProvider.System;
        _replicas = directory.ReplicaCount;
        _outstanding = new int[directory.Current.PartitionCount * _replicas];
        _suspects = new (Uri?, long)[_outstanding.Length];
        _attempts = new int[_outstanding.Length];
        _ranks = policy == SelectionPolicy.Adaptive ? new ReplicaRanks(_outstanding.Length, _time) : null;
        _turns = [.. Enumerable.Range(0, directory.Current.PartitionCount + 1).Select(static _ => Random.Shared.Next())];
    }

    /// <summary>The adaptive policy's statistics; null under any other policy.</summary>
    public ReplicaRanks? Ranks => _ranks;

    /// <summary>The directory the candidates come from.</summary>
    public IPartitionDirectory Directory => _directory;

    /// <summary>How many replicas every partition runs.</summary>
    public int Replicas => _replicas;

    /// <summary>Requests under way through this selector, per replica slot (see <see cref="ReplicaTarget.Slot"/>).</summary>
    public int OutstandingAt(int slot) => Volatile.Read(ref _outstanding[slot]);

    /// <summary>
    /// Picks a replica of <paramref name="partition"/> (or of any partition, when -1) whose endpoint is not in
    /// <paramref name="excluded"/>. False when no replica serves.
    /// </summary>
    public bool TryPick(int partition, IReadOnlyCollection<Uri>? excluded, out ReplicaTarget target)
    {
        var candidates = Current();
        var (healthy, serving) = partition < 0 ? (candidates.Healthy, candidates.Serving)
            : (uint)partition < (uint)candidates.HealthyByPartition.Length ? (candidates.HealthyByPartition[partition], candidates.ServingByPartition[partition])
            : ([], []);
        var now = _time.GetTimestamp();

        // The common case: nothing excluded and no request failed lately, so every healthy replica is a candidate as cached.
        if (excluded is not { Count: > 0 } && Volatile.Read(ref _suspicionEnds) <= now)
        {
            return Choose(partition, healthy.Length > 0 ? healthy : serving, out target);
        }

        var chosen = Filter(healthy, excluded, now, skipSuspects: true);
        if (chosen.Count == 0)
        {
            chosen = Filter(serving, excluded, now, skipSuspects: true);
        }

        // Every replica left is suspect: better to try one than to refuse outright.
        if (chosen.Count == 0)
        {
            chosen = Filter(serving, excluded, now, skipSuspects: false);
        }

        return Choose(partition, chosen, out target);
    }

    /// <summary>
    /// Ends a pick. <paramref name="reached"/> false passes the replica over for <see cref="Suspicion"/> (only that
    /// endpoint: a re-launched attempt elsewhere is not held back by its predecessor's failure).
    /// <paramref name="answeredIn"/>: how long the replica took to answer, when it did (the adaptive policy learns from it).
    /// </summary>
    public void Complete(in ReplicaTarget target, bool reached, TimeSpan? answeredIn = null)
    {
        var slot = target.Slot(_replicas);
        Interlocked.Decrement(ref _outstanding[slot]);
        if (answeredIn is { } elapsed && _ranks is not null && Volatile.Read(ref _attempts[slot]) == target.Attempt)
        {
            _ranks.Observe(slot, elapsed);
        }

        if (!reached)
        {
            var until = _time.GetTimestamp() + (long)(Suspicion.TotalSeconds * _time.TimestampFrequency);
            lock (_suspects)
            {
                _suspects[slot] = (target.Endpoint, until);
                if (until > _suspicionEnds)
                {
                    Volatile.Write(ref _suspicionEnds, until);
                }
            }
        }
    }

    /// <summary>Takes the queue depth a replica reported with an answer (<see cref="ReplicaRanks.QueueHeader"/>).</summary>
    public void ObserveQueue(in ReplicaTarget target, int depth)
    {
        var slot = target.Slot(_replicas);
        if (_ranks is not null && depth >= 0 && Volatile.Read(ref _attempts[slot]) == target.Attempt)
        {
            _ranks.ObserveQueue(slot, depth);
        }
    }

    /// <summary>Takes the queue depth from an answer's <see cref="ReplicaRanks.QueueHeader"/>, when it has one.</summary>
    public void ObserveQueue(in ReplicaTarget target, System.Net.Http.Headers.HttpResponseHeaders headers)
    {
        if (_ranks is not null && headers.NonValidated.TryGetValues(ReplicaRanks.QueueHeader, out var values) && int.TryParse(values.ToString(), out var depth))
        {
            ObserveQueue(target, depth);
        }
    }

    /// <summary>The serving replica of <paramref name="partition"/> at <paramref name="endpoint"/>, if one is.</summary>
    public bool TryFind(int partition, Uri endpoint, out ReplicaTarget target)
    {
        var candidates = Current();
        if ((uint)partition < (uint)candidates.ServingByPartition.Length)
        {
            foreach (var candidate in candidates.ServingByPartition[partition])
            {
                if (candidate.Endpoint == endpoint)
                {
                    target = candidate;
                    return true;
                }
            }
        }

        target = default;
        return false;
    }

    private List<ReplicaTarget> Filter(ReplicaTarget[] from, IReadOnlyCollection<Uri>? excluded, long now, bool skipSuspects)
    {
        var chosen = new List<ReplicaTarget>(from.Length);
        foreach (var candidate in from)
        {
            if ((excluded is null || !excluded.Contains(candidate.Endpoint)) && !(skipSuspects && IsSuspect(candidate, now)))
            {
                chosen.Add(candidate);
            }
        }

        return chosen;
    }

    private bool Choose(int partition, IReadOnlyList<ReplicaTarget> candidates, out ReplicaTarget target)
    {
        if (candidates.Count == 0)
        {
            target = default;
            return false;
        }

        target = candidates[candidates.Count == 1 ? 0 : _policy switch
        {
            SelectionPolicy.LeastOutstanding => LeastOutstanding(partition, candidates),
            SelectionPolicy.PowerOfTwoChoices => PowerOfTwoChoices(candidates),
            SelectionPolicy.Adaptive => _ranks!.Choose(candidates, _replicas, OutstandingAt),
            _ => InTurn(partition, candidates.Count),
        }];
        Interlocked.Increment(ref _outstanding[target.Slot(_replicas)]);
        return true;
    }

    private bool IsSuspect(in ReplicaTarget target, long now)
    {
        lock (_suspects)
        {
            var (endpoint, until) = _suspects[target.Slot(_replicas)];
            return until > now && endpoint == target.Endpoint;
        }
    }

    private int InTurn(int partition, int count) =>
        (int)((uint)Interlocked.Increment(ref _turns[(uint)(partition + 1) < (uint)_turns.Length ? partition + 1 : 0]) % (uint)count);

    private int LeastOutstanding(int partition, IReadOnlyList<ReplicaTarget> candidates)
    {
        // Start at a rotating offset so ties do not all land on the lowest partition.
        var start = InTurn(partition, candidates.Count);
        var best = start;
        for (var i = 1; i < candidates.Count; i++)
        {
            var index = (start + i) % candidates.Count;
            if (OutstandingAt(candidates[index].Slot(_replicas)) < OutstandingAt(candidates[best].Slot(_replicas)))
            {
                best = index;
            }
        }

        return best;
    }

    private int PowerOfTwoChoices(IReadOnlyList<ReplicaTarget> candidates)
    {
        var first = Random.Shared.Next(candidates.Count);
        var second = Random.Shared.Next(candidates.Count - 1);
        if (second >= first)
        {
            second++;
        }

        return OutstandingAt(candidates[second].Slot(_replicas)) < OutstandingAt(candidates[first].Slot(_replicas)) ? second : first;
    }

    // One immutable object per directory version, published whole: a version is never paired with another's replicas.
    private Candidates Current()
    {
        var snapshot = _directory.Current;
        var cache = Volatile.Read(ref _cache);
        if (cache.Version == snapshot.Version)
        {
            return cache;
        }

        var healthyBy = new ReplicaTarget[snapshot.PartitionCount][];
        var servingBy = new ReplicaTarget[snapshot.PartitionCount][];
        for (var p = 0; p < snapshot.PartitionCount; p++)
        {
            var replicas = snapshot[p].Replicas;
            servingBy[p] = [.. replicas.Where(static r => r.State == PartitionState.Serving && r.Endpoint is not null).Select(r => new ReplicaTarget(p, r.Replica, r.Attempt, r.Endpoint!))];
            healthyBy[p] = [.. servingBy[p].Where(t => !replicas[t.Replica].Suspected)];
            foreach (var target in servingBy[p])
            {
                // A new attempt in a slot starts without statistics: its predecessor's say nothing of it.
                var slot = target.Slot(_replicas);
                if (Interlocked.Exchange(ref _attempts[slot], target.Attempt) != target.Attempt)
                {
                    _ranks?.Reset(slot);
                }
            }
        }

        var fresh = new Candidates(snapshot.Version, [.. healthyBy.SelectMany(static t => t)], [.. servingBy.SelectMany(static t => t)], healthyBy, servingBy);
        Volatile.Write(ref _cache, fresh);
        return fresh;
    }

    private sealed record Candidates(long Version, ReplicaTarget[] Healthy, ReplicaTarget[] Serving, ReplicaTarget[][] HealthyByPartition, ReplicaTarget[][] ServingByPartition);
}
