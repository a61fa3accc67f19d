namespace Partitioned.Directories;

/// <summary>
/// Reads a partition directory: which partition replicas serve where, as an immutable, versioned
/// <see cref="DirectorySnapshot"/> plus the ordered stream of its changes. The coordinator's directory on the driver
/// (<c>Partitioned.Coordination.IPartitionDirectory</c>) and a remote client's live mirror of it
/// (<c>Partitioned.Client.PartitionDirectoryMirror</c>) both implement it, so routing (per-partition clients,
/// scatter-gather, <see cref="Routing.PartitionBalancer"/>) works over either.
/// </summary>
public interface IPartitionDirectory
{
    /// <summary>
    /// Raised after every change, with the change. The coordinator's directory raises it outside its lock (handlers may
    /// run concurrently: order them by <see cref="DirectorySnapshot.Version"/>); a mirror raises it in version order on
    /// the thread that follows the coordinator. Keep handlers short; use <see cref="WatchAsync"/> for an ordered stream.
    /// </summary>
    event EventHandler<PartitionChange>? Changed;

    /// <summary>The latest snapshot.</summary>
    DirectorySnapshot Current { get; }

    /// <summary>How many replicas every partition runs.</summary>
    int ReplicaCount { get; }

    /// <summary>
    /// Streams every change made after the call, in version order, until <paramref name="cancellationToken"/> fires
    /// (the subscription starts with the call, not at the first <c>MoveNextAsync</c>, so no change in between is missed).
    /// Each change carries the full snapshot after it. Enumerate what this returns: the subscription ends when that
    /// enumeration ends.
    /// </summary>
    IAsyncEnumerable<PartitionChange> WatchAsync(CancellationToken cancellationToken = default);

    /// <summary>Waits until <paramref name="condition"/> holds for the current snapshot, and returns that snapshot.</summary>
    Task<DirectorySnapshot> WaitUntilAsync(Func<DirectorySnapshot, bool> condition, CancellationToken cancellationToken);
}
