namespace Partitioned.Protocol;

/// <summary>Reply of <c>GET /v1/hosts</c>: the live partition servers, in partition order.</summary>
/// <param name="Version">The directory version these hosts were read at.</param>
/// <param name="Hosts">Every partition currently serving.</param>
public sealed record HostsResponse(long Version, IReadOnlyList<HostEntry> Hosts);
