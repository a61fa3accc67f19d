namespace Partitioned.Protocol;

/// <summary>Reply of <c>GET /v1/status</c>: every partition's state, serving or not.</summary>
/// <param name="Version">The directory version.</param>
/// <param name="Expected">How many partitions the cluster has.</param>
/// <param name="Serving">How many are serving now.</param>
/// <param name="Complete">True when every partition is serving.</param>
/// <param name="Partitions">One entry per partition, in partition order.</param>
public sealed record StatusResponse(long Version, int Expected, int Serving, bool Complete, IReadOnlyList<PartitionStatus> Partitions);
