namespace Partitioned.Directories;

/// <summary>One change of the directory: the entry before and after, and the whole directory after.</summary>
/// <param name="Kind">What happened (to the replica in <see cref="Replica"/>).</param>
/// <param name="Previous">The partition's entry before the change.</param>
/// <param name="Current">The partition's entry after the change.</param>
/// <param name="Snapshot">The directory right after the change; its version orders changes.</param>
public sealed record PartitionChange(PartitionChangeKind Kind, PartitionEntry Previous, PartitionEntry Current, DirectorySnapshot Snapshot)
{
    /// <summary>The partition that changed.</summary>
    public int Partition => Current.Partition;

    /// <summary>The replica that changed, after the change (with one replica per partition, the partition's only replica).</summary>
    public ReplicaEntry? Replica { get; init; }

    /// <summary>The replica that changed, before the change.</summary>
    public ReplicaEntry? PreviousReplica { get; init; }

    /// <summary>The attempt the change is about: the changed replica's attempt after the change.</summary>
    public int Attempt => Replica?.Attempt ?? Current.Attempt;
}
