#if PARTITIONED_CLIENT
namespace Partitioned.Client;
#else
using Partitioned.Coordination;

namespace Partitioned.Serving;
#endif

/// <summary>
/// Picks a live partition for each request by a policy (see <see cref="LoadBalancingPolicies"/>), skipping
/// partitions the coordinator does not list as serving and, for a moment, those a request just failed to reach.
/// The gateway uses it; so can a caller that talks to partitions directly (<see cref="CreateClient"/>).
/// </summary>
public sealed class PartitionBalancer
{
    private static readonly TimeSpan s_suspicion = TimeSpan.FromSeconds(1);

    private readonly PartitionDirectory _directory;
    private readonly TimeProvider _time;
    private readonly int[] _outstanding;
    private readonly (Uri? Endpoint, long Until)[] _suspects;
    private readonly Func<IReadOnlyList<(int Partition, Uri Endpoint)>, int> _choose;
    private LiveHosts _cache = new(-1, []);
    private int _next;

    // The latest moment any suspicion lasts until: before then, picks look at suspects; after it, none is left.
    private long _suspicionEnds;

    /// <summary>Creates a balancer over the partitions of <paramref name="directory"/>.</summary>
    /// <exception cref="ArgumentException"><paramref name="policy"/> is not one of <see cref="LoadBalancingPolicies.All"/>.</exception>
    public PartitionBalancer(PartitionDirectory directory, string policy = LoadBalancingPolicies.RoundRobin, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(directory);
        _directory = directory;
        _time = timeProvider ?? TimeProvider.System;
        _outstanding = new int[directory.Current.PartitionCount];
        _suspects = new (Uri?, long)[directory.Current.PartitionCount];
        Policy = policy;
        _choose = policy switch
        {
            LoadBalancingPolicies.RoundRobin => RoundRobin,
            LoadBalancingPolicies.LeastOutstanding => LeastOutstanding,
            LoadBalancingPolicies.PowerOfTwoChoices => PowerOfTwoChoices,
            _ => throw new ArgumentException($"Unknown load-balancing policy '{policy}'. Use one of: {string.Join(", ", LoadBalancingPolicies.All)}.", nameof(policy)),
        };
    }

    /// <summary>The policy's name.</summary>
    public string Policy { get; }

    /// <summary>Requests outstanding per partition (sent through this balancer, not yet answered).</summary>
    public IReadOnlyList<int> Outstanding => _outstanding;

    /// <summary>
    /// Picks a partition, or returns false when none is live. Call <see cref="Complete"/> when the request ends,
    /// passing whether the partition could be reached.
    /// </summary>
    public bool TryPick(out int partition, out Uri endpoint, int excluding = -1)
    {
        var live = Live();
        var now = _time.GetTimestamp();

        // The common case: nobody suspect and nobody excluded, so every live host is a candidate, as cached.
        if (excluding < 0 && Volatile.Read(ref _suspicionEnds) <= now)
        {
            return Choose(live, out partition, out endpoint);
        }

        var candidates = new List<(int Partition, Uri Endpoint)>(live.Length);
        foreach (var host in live)
        {
            if (host.Partition != excluding && !IsSuspect(host.Partition, host.Endpoint, now))
            {
                candidates.Add(host);
            }
        }

        // Every live partition is suspect: better to try one than to refuse outright.
        if (candidates.Count == 0)
        {
            candidates.AddRange(live.Where(h => h.Partition != excluding));
        }

        return Choose(candidates, out partition, out endpoint);
    }

    private bool Choose(IReadOnlyList<(int Partition, Uri Endpoint)> candidates, out int partition, out Uri endpoint)
    {
        if (candidates.Count == 0)
        {
            partition = -1;
            endpoint = null!;
            return false;
        }

        (partition, endpoint) = candidates[candidates.Count == 1 ? 0 : _choose(candidates)];
        Interlocked.Increment(ref _outstanding[partition]);
        return true;
    }

    /// <summary>
    /// Ends a request picked with <see cref="TryPick"/>; <paramref name="reached"/> false sets the partition's
    /// endpoint aside for a moment (a re-launched attempt on a new endpoint is not held back by its predecessor's failure).
    /// </summary>
    public void Complete(int partition, bool reached, Uri? endpoint = null)
    {
        Interlocked.Decrement(ref _outstanding[partition]);
        if (!reached)
        {
            var suspectEndpoint = endpoint ?? _directory.Current[partition].Endpoint;
            var until = _time.GetTimestamp() + (long)(s_suspicion.TotalSeconds * _time.TimestampFrequency);
            lock (_suspects)
            {
                _suspects[partition] = (suspectEndpoint, until);
                if (until > _suspicionEnds)
                {
                    Volatile.Write(ref _suspicionEnds, until);
                }
            }
        }
    }

    private bool IsSuspect(int partition, Uri endpoint, long now)
    {
        lock (_suspects)
        {
            var (suspectEndpoint, until) = _suspects[partition];
            return until > now && suspectEndpoint == endpoint;
        }
    }

    /// <summary>
    /// An <see cref="HttpClient"/> that sends each request to a partition this balancer picks: relative URIs such as
    /// <c>serve/hello</c> resolve against the chosen partition's base address. The caller disposes it.
    /// </summary>
    public HttpClient CreateClient(HttpMessageHandler? inner = null) =>
        new(new BalancingHandler(this, inner ?? new SocketsHttpHandler()))
        {
            BaseAddress = new Uri("http://partitions.invalid/"),
        };

    // One immutable object, published whole: a version can never be paired with another version's hosts.
    private (int Partition, Uri Endpoint)[] Live()
    {
        var snapshot = _directory.Current;
        var cache = Volatile.Read(ref _cache);
        if (cache.Version == snapshot.Version)
        {
            return cache.Hosts;
        }

        var live = new LiveHosts(snapshot.Version, [.. snapshot.Hosts.Select(static h => (h.Key, h.Value))]);
        Volatile.Write(ref _cache, live);
        return live.Hosts;
    }

    private sealed record LiveHosts(long Version, (int Partition, Uri Endpoint)[] Hosts);

    private int RoundRobin(IReadOnlyList<(int Partition, Uri Endpoint)> candidates) =>
        (int)((uint)Interlocked.Increment(ref _next) % (uint)candidates.Count);

    private int LeastOutstanding(IReadOnlyList<(int Partition, Uri Endpoint)> candidates)
    {
        // Start at a rotating offset so ties do not all land on the lowest partition.
        var start = RoundRobin(candidates);
        var best = start;
        for (var i = 1; i < candidates.Count; i++)
        {
            var index = (start + i) % candidates.Count;
            if (Volatile.Read(ref _outstanding[candidates[index].Partition]) < Volatile.Read(ref _outstanding[candidates[best].Partition]))
            {
                best = index;
            }
        }

        return best;
    }

    private int PowerOfTwoChoices(IReadOnlyList<(int Partition, Uri Endpoint)> candidates)
    {
        var first = Random.Shared.Next(candidates.Count);
        var second = Random.Shared.Next(candidates.Count - 1);
        if (second >= first)
        {
            second++;
        }

        return Volatile.Read(ref _outstanding[candidates[second].Partition]) < Volatile.Read(ref _outstanding[candidates[first].Partition]) ? second : first;
    }
}
