using System.Collections.Immutable;

namespace Partitioned.Directories;

/// <summary>
/// An immutable, versioned view of every partition. Each change to the directory produces a new snapshot
/// with a higher <see cref="Version"/>.
/// </summary>
public sealed class DirectorySnapshot
{
    internal DirectorySnapshot(long version, ImmutableArray<PartitionEntry> partitions)
    {
        Version = version;
        Partitions = partitions;
        ServingCount = partitions.Count(static p => p.State == PartitionState.Serving);
        ServingReplicaCount = partitions.Sum(static p => p.ServingReplicas);
        ReplicaCount = partitions.Sum(static p => p.Replicas.Count(static r => r.State != PartitionState.Retired));
        Hosts = partitions
            .Where(static p => p.State == PartitionState.Serving)
            .ToImmutableSortedDictionary(static p => p.Partition, static p => p.Endpoint!);
    }

    /// <summary>Increases by one with every change.</summary>
    public long Version { get; }

    /// <summary>One entry per partition, indexed by partition.</summary>
    public ImmutableArray<PartitionEntry> Partitions { get; }

    /// <summary>How many partitions the cluster has.</summary>
    public int PartitionCount => Partitions.Length;

    /// <summary>How many partitions are serving.</summary>
    public int ServingCount { get; }

    /// <summary>How many replicas serve, over every partition.</summary>
    public int ServingReplicaCount { get; }

    /// <summary>How many replicas the cluster runs, over every partition (slots autoscaling retired not counted).</summary>
    public int ReplicaCount { get; }

    /// <summary>True when every replica of every partition is serving.</summary>
    public bool IsFullStrength => ServingReplicaCount == ReplicaCount;

    /// <summary>True when every partition is serving (at least one replica each).</summary>
    public bool IsComplete => ServingCount == Partitions.Length;

    /// <summary>Live endpoints by partition index (serving partitions only).</summary>
    public IReadOnlyDictionary<int, Uri> Hosts { get; }

    /// <summary>The entry of one partition.</summary>
    public PartitionEntry this[int partition] => Partitions[partition];
}
