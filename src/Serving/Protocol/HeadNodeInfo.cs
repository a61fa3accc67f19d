namespace Partitioned.Serving;

/// <summary>Reply of the coordinator's <c>GET /v1/serving</c> when a head node runs: the services it takes requests for.</summary>
internal sealed record HeadNodeInfo(IReadOnlyList<string> Services);
