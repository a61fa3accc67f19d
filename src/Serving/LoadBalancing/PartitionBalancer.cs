using Partitioned.Shared;

#if PARTITIONED_CLIENT
namespace Partitioned.Client;
#else
using Partitioned.Coordination;

namespace Partitioned.Serving;
#endif

/// <summary>
/// Picks a live partition replica for each request by a policy (see <see cref="LoadBalancingPolicies"/>), skipping
/// replicas the coordinator does not list as serving and, for a moment, those a request just failed to reach.
/// With several replicas per partition, every serving replica is a candidate of its own.
/// The gateway uses it; so can a caller that talks to partitions directly (<see cref="CreateClient(HttpMessageHandler?)"/>).
/// </summary>
public sealed class PartitionBalancer
{
    private static readonly TimeSpan s_suspicion = TimeSpan.FromSeconds(1);

    private readonly PartitionDirectory _directory;
    private readonly TimeProvider _time;
    private readonly int _replicas;

    // Outstanding requests per replica slot (partition * replicas + replica): the policies compare replicas.
    private readonly int[] _outstanding;
    private readonly (Uri? Endpoint, long Until)[] _suspects;
    private readonly Func<IReadOnlyList<Host>, int> _choose;
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
        _replicas = directory.ReplicaCount;
        _outstanding = new int[directory.Current.PartitionCount * _replicas];
        _suspects = new (Uri?, long)[_outstanding.Length];
        Policy = policy;
        _choose = policy switch
        {
            LoadBalancingPolicies.RoundRobin => RoundRobin,
            LoadBalancingPolicies.LeastOutstanding => LeastOutstanding,
            LoadBalancingPolicies.PowerOfTwoChoices => PowerOfTwoChoices,
            _ => throw new ArgumentException($"Unknown load-balancing policy '{policy}'. Use one of: {string.Join(", ", LoadBalancingPolicies.All)}.", nameof(policy)),
        };
    }

    /// <summary>The handler <see cref="CreateClient(HttpMessageHandler?)"/> sends through when given none (a remote client's trusts its cluster's authorities); null: a plain one.</summary>
    internal Func<HttpMessageHandler>? DefaultHandler { get; init; }

    /// <summary>The policy's name.</summary>
    public string Policy { get; }

    /// <summary>Requests outstanding per partition (sent through this balancer, not yet answered), over its replicas.</summary>
    public IReadOnlyList<int> Outstanding =>
        [.. Enumerable.Range(0, _outstanding.Length / _replicas).Select(p => Enumerable.Range(p * _replicas, _replicas).Sum(slot => Volatile.Read(ref _outstanding[slot])))];

    /// <summary>
    /// Picks a partition replica, or returns false when none is live. Call <see cref="Complete(int, bool, Uri?)"/> when the request ends,
    /// passing whether the partition could be reached and the endpoint picked.
    /// </summary>
    /// <param name="partition">The partition picked.</param>
    /// <param name="endpoint">The endpoint of the replica picked.</param>
    /// <param name="excluding">A partition not to pick (one a request just failed on), or -1.</param>
    public bool TryPick(out int partition, out Uri endpoint, int excluding = -1)
    {
        var picked = TryPick(excluding, excludingEndpoint: null, out var host);
        (partition, endpoint) = (host.Partition, host.Endpoint);
        return picked;
    }

    /// <summary>Picks a replica other than <paramref name="excludingEndpoint"/> and outside partition <paramref name="excluding"/>.</summary>
    internal bool TryPick(int excluding, Uri? excludingEndpoint, out Host host)
    {
        var live = Live();
        var now = _time.GetTimestamp();

        // The common case: nobody suspect and nobody excluded, so every live host is a candidate, as cached.
        if (excluding < 0 && excludingEndpoint is null && Volatile.Read(ref _suspicionEnds) <= now)
        {
            return Choose(live, out host);
        }

        var candidates = new List<Host>(live.Length);
        foreach (var candidate in live)
        {
            if (candidate.Partition != excluding && candidate.Endpoint != excludingEndpoint && !IsSuspect(candidate, now))
            {
                candidates.Add(candidate);
            }
        }

        // Every live replica is suspect: better to try one than to refuse outright.
        if (candidates.Count == 0)
        {
            candidates.AddRange(live.Where(h => h.Partition != excluding && h.Endpoint != excludingEndpoint));
        }

        return Choose(candidates, out host);
    }

    /// <summary>Picks a serving replica of <paramref name="partition"/> other than <paramref name="excludingEndpoint"/>.</summary>
    internal bool TryPickReplica(int partition, Uri? excludingEndpoint, out Host host)
    {
        var now = _time.GetTimestamp();
        var candidates = Live().Where(h => h.Partition == partition && h.Endpoint != excludingEndpoint).ToList();
        var healthy = candidates.Where(h => !IsSuspect(h, now)).ToList();
        return Choose(healthy.Count > 0 ? healthy : candidates, out host);
    }

    private bool Choose(IReadOnlyList<Host> candidates, out Host host)
    {
        if (candidates.Count == 0)
        {
            host = new Host(-1, -1, null!);
            return false;
        }

        host = candidates[candidates.Count == 1 ? 0 : _choose(candidates)];
        Interlocked.Increment(ref _outstanding[host.Slot(_replicas)]);
        return true;
    }

    /// <summary>
    /// Ends a request picked with <see cref="TryPick(out int, out Uri, int)"/>; <paramref name="reached"/> false sets the
    /// replica's endpoint aside for a moment (a re-launched attempt on a new endpoint is not held back by its predecessor's failure).
    /// </summary>
    public void Complete(int partition, bool reached, Uri? endpoint = null)
    {
        var replica = 0;
        endpoint ??= _directory.Current[partition].Endpoint;
        foreach (var host in Live())
        {
            if (host.Partition == partition && host.Endpoint == endpoint)
            {
                replica = host.Replica;
                break;
            }
        }

        Complete(new Host(partition, replica, endpoint!), reached);
    }

    internal void Complete(Host host, bool reached)
    {
        var slot = host.Slot(_replicas);
        Interlocked.Decrement(ref _outstanding[slot]);
        if (!reached)
        {
            var until = _time.GetTimestamp() + (long)(s_suspicion.TotalSeconds * _time.TimestampFrequency);
            lock (_suspects)
            {
                _suspects[slot] = (host.Endpoint, until);
                if (until > _suspicionEnds)
                {
                    Volatile.Write(ref _suspicionEnds, until);
                }
            }
        }
    }

    private bool IsSuspect(Host host, long now)
    {
        lock (_suspects)
        {
            var (suspectEndpoint, until) = _suspects[host.Slot(_replicas)];
            return until > now && suspectEndpoint == host.Endpoint;
        }
    }

    /// <summary>
    /// An <see cref="HttpClient"/> that sends each request to a partition this balancer picks: relative URIs such as
    /// <c>serve/hello</c> resolve against the chosen partition's base address. A request to a service the replicas
    /// announced as idempotent (<c>ServiceOptions.Idempotent</c>) whose replica failed before answering is sent once more
    /// to another replica. The caller disposes it.
    /// </summary>
    public HttpClient CreateClient(HttpMessageHandler? inner = null) => CreateClient(inner, idempotent: false);

    /// <summary>
    /// Like <see cref="CreateClient(HttpMessageHandler?)"/>; with <paramref name="idempotent"/> true, every request whose
    /// replica failed before answering is sent once more to another replica (of any partition: requests through a
    /// balancer are not bound to a partition), whatever route it calls. Use it only when every request it sends is
    /// idempotent: the failed replica may have processed the request.
    /// </summary>
    public HttpClient CreateClient(HttpMessageHandler? inner, bool idempotent) =>
        new(new BalancingHandler(this, inner ?? DefaultHandler?.Invoke() ?? new SocketsHttpHandler(), idempotent))
        {
            BaseAddress = new Uri("http://partitions.invalid/"),
        };

    /// <summary>
    /// True when the replica behind <paramref name="host"/> announced <paramref name="service"/> as idempotent when it
    /// registered (so a request it failed may go to another replica, even before any answer said so).
    /// </summary>
    internal bool AnnouncesIdempotent(Host host, string service)
    {
        var snapshot = _directory.Current;
        if ((uint)host.Partition >= (uint)snapshot.PartitionCount || (uint)host.Replica >= (uint)snapshot[host.Partition].Replicas.Length)
        {
            return false;
        }

        // The same attempt only: a re-launch announces its own.
        var replica = snapshot[host.Partition].Replicas[host.Replica];
        return replica.Endpoint == host.Endpoint && ResendRules.AnnouncesIdempotent(replica.Labels, service);
    }

    // One immutable object, published whole: a version can never be paired with another version's hosts.
    private Host[] Live()
    {
        var snapshot = _directory.Current;
        var cache = Volatile.Read(ref _cache);
        if (cache.Version == snapshot.Version)
        {
            return cache.Hosts;
        }

        var live = new LiveHosts(snapshot.Version, [.. snapshot.Partitions.SelectMany(static p => p.Replicas.Where(static r => r.State == PartitionState.Serving).Select(r => new Host(p.Partition, r.Replica, r.Endpoint!)))]);
        Volatile.Write(ref _cache, live);
        return live.Hosts;
    }

    /// <summary>One serving replica a request can go to.</summary>
    internal readonly record struct Host(int Partition, int Replica, Uri Endpoint)
    {
        public int Slot(int replicas) => (Partition * replicas) + Replica;
    }

    private sealed record LiveHosts(long Version, Host[] Hosts);

    private int RoundRobin(IReadOnlyList<Host> candidates) =>
        (int)((uint)Interlocked.Increment(ref _next) % (uint)candidates.Count);

    private int LeastOutstanding(IReadOnlyList<Host> candidates)
    {
        // Start at a rotating offset so ties do not all land on the lowest partition.
        var start = RoundRobin(candidates);
        var best = start;
        for (var i = 1; i < candidates.Count; i++)
        {
            var index = (start + i) % candidates.Count;
            if (Volatile.Read(ref _outstanding[candidates[index].Slot(_replicas)]) < Volatile.Read(ref _outstanding[candidates[best].Slot(_replicas)]))
            {
                best = index;
            }
        }

        return best;
    }

    private int PowerOfTwoChoices(IReadOnlyList<Host> candidates)
    {
        var first = Random.Shared.Next(candidates.Count);
        var second = Random.Shared.Next(candidates.Count - 1);
        if (second >= first)
        {
            second++;
        }

        return Volatile.Read(ref _outstanding[candidates[second].Slot(_replicas)]) < Volatile.Read(ref _outstanding[candidates[first].Slot(_replicas)]) ? second : first;
    }
}
