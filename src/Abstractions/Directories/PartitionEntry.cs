using System.Collections.Immutable;

namespace Partitioned.Directories;

/// <summary>
/// One partition in a <see cref="DirectorySnapshot"/>. Immutable. With several replicas, the partition-level fields
/// describe its primary replica (the first healthy one, else the first serving one, else the one heard of last) and <see cref="State"/> is derived:
/// the partition serves while one replica serves.
/// </summary>
/// <param name="Partition">The partition index.</param>
/// <param name="State">The partition's state: serving while any replica serves; otherwise failed or stopped when every replica is, lost when one is lost, else pending.</param>
/// <param name="Attempt">The primary replica's latest attempt, or -1 before any.</param>
/// <param name="Endpoint">The primary replica's last registered address; live only while <see cref="State"/> is <see cref="PartitionState.Serving"/>.</param>
/// <param name="LastError">The primary replica's last error, or null.</param>
/// <param name="Since">When the primary replica entered its current state.</param>
public sealed record PartitionEntry(int Partition, PartitionState State, int Attempt, Uri? Endpoint, string? LastError, DateTimeOffset Since)
{
    /// <summary>The node (machine) the registered attempt runs on, as it said when it registered, or null.</summary>
    public string? Node { get; init; }

    /// <summary>The endpoint when it is live, otherwise null.</summary>
    public Uri? LiveEndpoint => State == PartitionState.Serving ? Endpoint : null;

    /// <summary>
    /// Every replica slot of the partition, by replica index (one entry when the cluster runs one replica per partition).
    /// With autoscaling there is one slot per possible replica; the ones not in use are <see cref="PartitionState.Retired"/>.
    /// </summary>
    public ImmutableArray<ReplicaEntry> Replicas { get; init; } = [];

    /// <summary>How many replicas serve now.</summary>
    public int ServingReplicas => Replicas.Count(static r => r.State == PartitionState.Serving);

    /// <summary>The live endpoints of the serving replicas, in replica order.</summary>
    public IReadOnlyList<Uri> LiveEndpoints => [.. Replicas.Where(static r => r.State == PartitionState.Serving).Select(static r => r.Endpoint!)];

    /// <summary>True when a serving replica is not suspected.</summary>
    public bool HasHealthyReplica => Replicas.Any(static r => r.IsHealthy);

    /// <summary>Builds a partition's entry from its replicas: the first healthy replica is primary, else the first serving one, else the most recent.</summary>
    internal static PartitionEntry FromReplicas(int partition, ImmutableArray<ReplicaEntry> replicas)
    {
        ReplicaEntry? primary = null;
        foreach (var replica in replicas)
        {
            if (replica.IsHealthy)
            {
                primary = replica;
                break;
            }

            if (replica.State == PartitionState.Serving)
            {
                primary ??= replica;
            }
        }

        // Slots autoscaling retired are not part of the partition: they decide neither its primary nor its state.
        var members = replicas.Any(static r => r.State != PartitionState.Retired) ? replicas.Where(static r => r.State != PartitionState.Retired).ToList() : [.. replicas];
        primary ??= members.MaxBy(static r => (r.Attempt, r.Since))!;
        var state = primary.State == PartitionState.Serving ? PartitionState.Serving
            : members.All(static r => r.State == PartitionState.Failed) ? PartitionState.Failed
            : members.All(static r => r.State is PartitionState.Stopped or PartitionState.Failed) ? PartitionState.Stopped
            : members.Any(static r => r.State == PartitionState.Lost) ? PartitionState.Lost
            : PartitionState.Pending;
        return new PartitionEntry(partition, state, primary.Attempt, primary.Endpoint, primary.LastError, primary.Since)
        {
            Node = primary.Node,
            Replicas = replicas,
        };
    }
}
