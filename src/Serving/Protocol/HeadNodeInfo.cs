namespace Partitioned.Serving;

/// <summary>
/// Reply of the coordinator's <c>GET /v1/serving</c> when a head node runs: the services it takes requests for, and,
/// when it takes them over gRPC streams, where (<paramref name="GrpcAddress"/>) and with which key (<paramref name="StreamKey"/>;
/// only token holders read this route, so the key reaches the cluster's partitions only).
/// </summary>
internal sealed record HeadNodeInfo(IReadOnlyList<string> Services, string? GrpcAddress = null, string? StreamKey = null);
