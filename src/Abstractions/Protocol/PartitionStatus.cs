namespace Partitioned.Protocol;

/// <summary>One partition in <see cref="StatusResponse"/>.</summary>
/// <param name="Partition">The partition index.</param>
/// <param name="State">pending, serving, lost, failed or stopped.</param>
/// <param name="Attempt">The latest attempt the coordinator heard of, or null before any.</param>
/// <param name="Endpoint">The last registered address, or null if none registered yet.</param>
/// <param name="LastSeen">When a health check last succeeded (or the registration time), or null.</param>
/// <param name="LastError">The last error reported for this partition, or null.</param>
/// <param name="Node">The node (machine) the registered attempt runs on, or null.</param>
public sealed record PartitionStatus(int Partition, string State, int? Attempt, string? Endpoint, DateTimeOffset? LastSeen, string? LastError, string? Node = null)
{
    /// <summary>The partition's replicas (one when the cluster runs one replica per partition); the partition serves while one does.</summary>
    public IReadOnlyList<ReplicaStatus>? Replicas { get; init; }
}
