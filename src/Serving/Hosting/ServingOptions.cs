using Partitioned.Routing;
using Partitioned.Shared;

namespace Partitioned.Serving;

/// <summary>The driver-side front of a <see cref="ServingCluster{TRow, TResult}"/>: gateway (distributed mode) or ingress (head-node mode).</summary>
public sealed record ServingOptions
{
    /// <summary>Distributed (default) or head-node.</summary>
    public ServingMode Mode { get; init; } = ServingMode.Distributed;

    /// <summary>The IP address the front listens on. Default <c>127.0.0.1</c>.</summary>
    public string BindAddress { get; init; } = "127.0.0.1";

    /// <summary>
    /// How partitions take work from the head node (head-node mode only). Default <see cref="HeadNodeTransport.GrpcStream"/>:
    /// one gRPC bidi stream per partition and service. <see cref="HeadNodeTransport.HttpLongPoll"/> keeps the JSON long
    /// polls, for partitions that speak HTTP/1.1 only (a partition server written in another language).
    /// </summary>
    public HeadNodeTransport HeadNodeTransport { get; init; } = HeadNodeTransport.GrpcStream;

    /// <summary>The front's port; 0 (default) for any free port.</summary>
    public int Port { get; init; }

    /// <summary>
    /// Head-node mode over gRPC streams: the port partitions open their streams to (it binds where the coordinator does,
    /// <c>ClusterOptions.CoordinatorBindAddress</c>, and is announced to partitions by the coordinator). 0 (default) for any
    /// free port; fix it when a firewall between the nodes and the driver must allow it.
    /// </summary>
    public int HeadNodeStreamPort { get; init; }

    /// <summary>Distributed mode: the gateway's policy, one of <see cref="LoadBalancingPolicies"/>. Default round robin.</summary>
    public string LoadBalancing { get; init; } = LoadBalancingPolicies.RoundRobin;

    /// <summary>
    /// Distributed mode: hedged requests through the gateway. A request to an idempotent service (<c>ServiceOptions.Idempotent</c>)
    /// not answered within the service's observed 95th percentile (or <see cref="HedgingOptions.Delay"/>) also goes to
    /// the next-ranked replica; the first answer wins, the other is cancelled; at most <see cref="HedgingOptions.Budget"/>
    /// of requests (default 5%) are hedged. Default null: no hedging.
    /// </summary>
    public HedgingOptions? Hedging { get; init; }

    /// <summary>Head-node mode: the services the ingress takes requests for (names as the partitions define them). Required in that mode.</summary>
    public IReadOnlyList<string> Services { get; init; } = [];

    /// <summary>Head-node mode: how long a request may wait for its answer before it gets 504. Distributed mode: the gateway's
    /// timeout for a partition's answer (the partition's own service deadline normally answers first). Default 10 s.</summary>
    public TimeSpan Deadline { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Head-node mode: requests waiting per service at the ingress; beyond it, 503 with Retry-After. Default 4096.</summary>
    public int QueueCapacity { get; init; } = 4096;

    /// <summary>The largest request body the front accepts; larger gets 413. Default 1 MiB.</summary>
    public long MaxRequestBodySize { get; init; } = 1024 * 1024;

    internal void Validate()
    {
        var validation = new OptionsValidation(nameof(ServingOptions));
        validation.RequireBindAddress(nameof(BindAddress), BindAddress);
        validation.RequirePort(nameof(Port), Port);
        validation.RequirePort(nameof(HeadNodeStreamPort), HeadNodeStreamPort);
        validation.Require(LoadBalancingPolicies.All.Contains(LoadBalancing), $"{nameof(LoadBalancing)} must be one of {string.Join(", ", LoadBalancingPolicies.All)} (was '{LoadBalancing}').");
        validation.Require(Mode != ServingMode.HeadNode || Services is { Count: > 0 }, $"{nameof(Services)} must name at least one service in head-node mode.");
        validation.Require(Services is null || Services.Distinct(StringComparer.Ordinal).Count() == Services.Count, $"{nameof(Services)} names a service twice; names must be unique.");
        foreach (var (name, index) in (Services ?? []).Select(static (name, index) => (name, index)))
        {
            validation.Require(SafeName.Problem(name) is null, $"{nameof(Services)}[{index}] '{SafeName.Describe(name)}' {SafeName.Problem(name)}: a service name is {SafeName.Rule}.");
        }
        validation.Require(Enum.IsDefined(HeadNodeTransport), $"{nameof(HeadNodeTransport)} must be {nameof(HeadNodeTransport.GrpcStream)} or {nameof(HeadNodeTransport.HttpLongPoll)} (was {(int)HeadNodeTransport}).");
        foreach (var problem in Hedging?.Problems(nameof(Hedging)) ?? [])
        {
            validation.Require(false, problem);
        }

        validation.Require(Deadline > TimeSpan.Zero, $"{nameof(Deadline)} must be positive (was {Deadline}).");
        validation.Require(QueueCapacity >= 1, $"{nameof(QueueCapacity)} must be at least 1 (was {QueueCapacity}).");
        validation.Require(MaxRequestBodySize is >= 1 and <= RequestBody.MaxLimit, $"{nameof(MaxRequestBodySize)} must be between 1 byte and 1 GiB (was {MaxRequestBodySize}).");
        validation.ThrowIfInvalid();
    }
}
