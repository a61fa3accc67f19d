using System.Collections.Immutable;

namespace Partitioned.Directories;

/// <summary>
/// An immutable, versioned view of every partition. Each change to the directory produces a new snapshot
/// with a higher <see cref="Version"/>.
/// </summary>
public sealed class DirectorySnapshot
{
    private IReadOnlyDictionary<int, Uri>? _hosts;

    internal DirectorySnapshot(long version, ImmutableArray<PartitionEntry> partitions)
        : this(
            version,
            partitions,
            partitions.Count(static p => p.State == PartitionState.Serving),
            partitions.Sum(static p => p.ServingReplicas),
            partitions.Sum(InUse))
    {
    }

    private DirectorySnapshot(long version, ImmutableArray<PartitionEntry> partitions, int servingCount, int servingReplicaCount, int replicaCount)
    {
        Version = version;
        Partitions = partitions;
        ServingCount = servingCount;
        ServingReplicaCount = servingReplicaCount;
        ReplicaCount = replicaCount;
    }

    /// <summary>
    /// The next snapshot, with one partition's entry replaced. The counts follow from the entry replaced and the new one,
    /// and <see cref="Hosts"/> is made when first read: a change costs the copy of the entry array, not scans and a
    /// sorted map of every partition (which made registering 10,000 partitions quadratic).
    /// </summary>
    internal DirectorySnapshot With(long version, PartitionEntry entry)
    {
        var before = Partitions[entry.Partition];
        return new DirectorySnapshot(
            version,
            Partitions.SetItem(entry.Partition, entry),
            ServingCount - (before.State == PartitionState.Serving ? 1 : 0) + (entry.State == PartitionState.Serving ? 1 : 0),
            ServingReplicaCount - before.ServingReplicas + entry.ServingReplicas,
            ReplicaCount - InUse(before) + InUse(entry));
    }

    // Replicas in use: slots autoscaling retired are not counted.
    private static int InUse(PartitionEntry entry) => entry.Replicas.Count(static r => r.State != PartitionState.Retired);

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
    public IReadOnlyDictionary<int, Uri> Hosts => _hosts ?? LazyInitializer.EnsureInitialized(ref _hosts, () => Partitions
        .Where(static p => p.State == PartitionState.Serving)
        .ToImmutableSortedDictionary(static p => p.Partition, static p => p.Endpoint!));

    /// <summary>The entry of one partition.</summary>
    public PartitionEntry this[int partition] => Partitions[partition];
}
