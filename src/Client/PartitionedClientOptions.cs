namespace Partitioned.Client;

/// <summary>Settings of a <see cref="PartitionedClient"/>.</summary>
public sealed record PartitionedClientOptions
{
    /// <summary>How long one request through a partition client may take. Default 30 s.</summary>
    public TimeSpan ClientTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How partition clients (<c>GetClient</c>) and scatter-gather choose among a partition's replicas: one of
    /// <c>LoadBalancingPolicies</c>. Default round robin; <c>Adaptive</c> ranks replicas by how they answer.
    /// </summary>
    public string LoadBalancing { get; init; } = Partitioned.Routing.LoadBalancingPolicies.RoundRobin;

    /// <summary>
    /// Hedged requests through partition clients and scatter-gather: an idempotent request (GET, HEAD, PUT, DELETE,
    /// OPTIONS with a body that can be sent again) not answered within the partition's observed 95th percentile (or
    /// <c>HedgingOptions.Delay</c>) also goes to another replica of the partition; the first answer wins; at most
    /// <c>HedgingOptions.Budget</c> of requests (default 5%) are hedged. Default null: no hedging.
    /// </summary>
    public Partitioned.Routing.HedgingOptions? Hedging { get; init; }

    /// <summary>How long <c>PartitionedClient.ConnectAsync</c> may try before it gives up. Default 30 s.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>The first delay before reconnecting after the stream broke; it doubles up to <see cref="MaxReconnectDelay"/>. Default 100 ms.</summary>
    public TimeSpan ReconnectDelay { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>The longest delay between reconnect attempts. Default 5 s.</summary>
    public TimeSpan MaxReconnectDelay { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How long the coordinator may stay unreachable before the client declares the cluster gone
    /// (<see cref="PartitionedClient.Gone"/> completes; calls throw <see cref="ClusterGoneException"/>). Default 60 s.
    /// </summary>
    public TimeSpan GoneAfter { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Where to reach the coordinator's gRPC listener, instead of the address <c>GET /v1/client</c> gives (for example
    /// through a proxy or a port forward). Default null: ask the coordinator.
    /// </summary>
    public Uri? GrpcAddress { get; init; }

    internal void Validate()
    {
        var problems = new List<string>();
        if (ClientTimeout <= TimeSpan.Zero)
        {
            problems.Add($"{nameof(ClientTimeout)} must be positive (was {ClientTimeout}).");
        }

        if (!Partitioned.Routing.LoadBalancingPolicies.All.Contains(LoadBalancing))
        {
            problems.Add($"{nameof(LoadBalancing)} must be one of {string.Join(", ", Partitioned.Routing.LoadBalancingPolicies.All)} (was '{LoadBalancing}').");
        }

        problems.AddRange(Hedging?.Problems(nameof(Hedging)) ?? []);
        if (ConnectTimeout <= TimeSpan.Zero)
        {
            problems.Add($"{nameof(ConnectTimeout)} must be positive (was {ConnectTimeout}).");
        }

        if (ReconnectDelay <= TimeSpan.Zero || MaxReconnectDelay < ReconnectDelay)
        {
            problems.Add($"{nameof(ReconnectDelay)} must be positive and at most {nameof(MaxReconnectDelay)} (were {ReconnectDelay} and {MaxReconnectDelay}).");
        }

        if (GoneAfter <= TimeSpan.Zero)
        {
            problems.Add($"{nameof(GoneAfter)} must be positive (was {GoneAfter}).");
        }

        if (GrpcAddress is { } grpc && (!grpc.IsAbsoluteUri || grpc.Scheme is not ("http" or "https")))
        {
            problems.Add($"{nameof(GrpcAddress)} must be an absolute http or https address (was {grpc}).");
        }

        if (problems.Count > 0)
        {
            throw new ArgumentException($"{nameof(PartitionedClientOptions)} are invalid: {string.Join(" ", problems)}");
        }
    }
}
