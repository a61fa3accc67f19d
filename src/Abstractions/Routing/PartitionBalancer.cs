using Partitioned.Directories;

namespace Partitioned.Routing;

/// <summary>
/// Picks a live partition replica for each request by a policy (see <see cref="LoadBalancingPolicies"/>), skipping
/// replicas the coordinator does not list as serving, preferring those it does not suspect, and passing over for a
/// moment those a request just failed to reach. With several replicas per partition, every serving replica is a
/// candidate of its own. The gateway uses it; so can a caller that talks to partitions directly
/// (<see cref="CreateClient(HttpMessageHandler?)"/>).
/// </summary>
public sealed class PartitionBalancer
{
    private readonly ReplicaSelector _selector;

    /// <summary>Creates a balancer over the partitions of <paramref name="directory"/>.</summary>
    /// <exception cref="ArgumentException"><paramref name="policy"/> is not one of <see cref="LoadBalancingPolicies.All"/>.</exception>
    public PartitionBalancer(IPartitionDirectory directory, string policy = LoadBalancingPolicies.RoundRobin, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(directory);
        var selection = LoadBalancingPolicies.Parse(policy, nameof(policy));
        Policy = policy;
        _selector = new ReplicaSelector(directory, selection, timeProvider);
        Loop = new ResendLoop(_selector, ReplicaSignals.Of(directory), timeProvider ?? TimeProvider.System);
    }

    /// <summary>The handler <see cref="CreateClient(HttpMessageHandler?)"/> sends through when given none (a remote client's trusts its cluster's authorities); null: a plain one.</summary>
    internal Func<HttpMessageHandler>? DefaultHandler { get; init; }

    /// <summary>The policy's name.</summary>
    public string Policy { get; }

    /// <summary>
    /// Hedged requests through this balancer (its clients and the gateway): requests to services the replicas announce
    /// as idempotent (or, with <c>CreateClient(inner, idempotent: true)</c>, every request) that are not answered in
    /// time go to a second replica as well. Default null: no hedging.
    /// </summary>
    /// <exception cref="ArgumentException">The options are invalid (the message names the setting).</exception>
    public HedgingOptions? Hedging
    {
        get => Loop.Hedger?.Options;
        init
        {
            if (value is not null && string.Join(" ", value.Problems(nameof(HedgingOptions))) is { Length: > 0 } problems)
            {
                throw new ArgumentException(problems, nameof(Hedging));
            }

            Loop.Hedger = value is null ? null : new Hedger(value, _selector.Directory.Current.PartitionCount);
        }
    }

    /// <summary>Requests outstanding per partition (sent through this balancer, not yet answered), over its replicas.</summary>
    public IReadOnlyList<int> Outstanding =>
        [.. Enumerable.Range(0, _selector.Directory.Current.PartitionCount).Select(p => Enumerable.Range(p * _selector.Replicas, _selector.Replicas).Sum(_selector.OutstandingAt))];

    /// <summary>The resend loop of requests sent through this balancer (the gateway's and <see cref="CreateClient(HttpMessageHandler?)"/>'s).</summary>
    internal ResendLoop Loop { get; }

    /// <summary>
    /// Picks a partition replica, or returns false when none is live. Call <see cref="Complete(int, bool, Uri?)"/> when the request ends,
    /// passing whether the partition could be reached and the endpoint picked.
    /// </summary>
    /// <param name="partition">The partition picked.</param>
    /// <param name="endpoint">The endpoint of the replica picked.</param>
    /// <param name="excluding">A partition not to pick (one a request just failed on), or -1.</param>
    public bool TryPick(out int partition, out Uri endpoint, int excluding = -1)
    {
        var excluded = excluding < 0 ? null : _selector.Directory.Current[excluding].Replicas.Where(static r => r.Endpoint is not null).Select(static r => r.Endpoint!).ToList();
        var picked = _selector.TryPick(-1, excluded, out var target);
        (partition, endpoint) = picked ? (target.Partition, target.Endpoint) : (-1, null!);
        return picked;
    }

    /// <summary>
    /// Ends a request picked with <see cref="TryPick(out int, out Uri, int)"/>; <paramref name="reached"/> false sets the
    /// replica's endpoint aside for a moment (a re-launched attempt on a new endpoint is not held back by its predecessor's failure).
    /// </summary>
    public void Complete(int partition, bool reached, Uri? endpoint = null)
    {
        endpoint ??= _selector.Directory.Current[partition].Endpoint;
        if (endpoint is not null && _selector.TryFind(partition, endpoint, out var target))
        {
            _selector.Complete(target, reached);
        }
        else
        {
            // The replica left the directory since the pick: its count goes with the slot it was counted in.
            _selector.Complete(new ReplicaTarget(partition, 0, -1, endpoint ?? new Uri("http://gone.invalid/")), reached);
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
    /// True when the replica behind <paramref name="target"/> announced <paramref name="service"/> as idempotent when it
    /// registered (so a request it failed may go to another replica, even before any answer said so).
    /// </summary>
    internal bool AnnouncesIdempotent(in ReplicaTarget target, string service)
    {
        var snapshot = _selector.Directory.Current;
        if ((uint)target.Partition >= (uint)snapshot.PartitionCount || (uint)target.Replica >= (uint)snapshot[target.Partition].Replicas.Length)
        {
            return false;
        }

        // The same attempt only: a re-launch announces its own.
        var replica = snapshot[target.Partition].Replicas[target.Replica];
        return replica.Attempt == target.Attempt && ResendRules.AnnouncesIdempotent(replica.Labels, service);
    }
}
