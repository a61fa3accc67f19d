
using Partitioned.Directories;

namespace Partitioned.Coordination;

public sealed partial class PartitionDirectory
{
    /// <summary>How many recent changes the directory keeps, at most, so a watcher that lost its stream can resume.</summary>
    internal const int HistoryCapacity = 1024;

    /// <summary>
    /// How many partition entries the kept changes' snapshots may hold together (8 MB of arrays): 1,024 changes of 10,000
    /// partitions held 80 MB. Past it fewer are kept, never under 64; a watcher resuming from further back gets the snapshot.
    /// </summary>
    internal const int HistoryEntryBudget = 1 << 20;

    // The most recent changes, oldest first, at most HistoryCapacity. Written under the lock (by Apply).
    private readonly Queue<PartitionChange> _history = new();

    /// <summary>Identifies this directory instance: versions are only comparable between watchers of the same id.</summary>
    public string Id { get; } = Guid.NewGuid().ToString("N");

    /// <summary>
    /// Subscribes to changes after <paramref name="afterVersion"/>. When that version is still in the retained history
    /// (or is the current version), the returned stream starts with the retained changes after it and continues with
    /// new ones, so the caller misses and repeats nothing; otherwise (null, too old, or from the future) it gets the
    /// current snapshot to start from, and the stream holds every change after that snapshot.
    /// </summary>
    /// <remarks>
    /// The caller disposes the subscription on every path (it also ends with <paramref name="cancellationToken"/>). With
    /// <paramref name="maxBehind"/> above 0, a watcher that more than that many changes wait for is ended (see
    /// <see cref="DirectoryFeed.Subscribe"/>).
    /// </remarks>
    internal (DirectorySnapshot? Reset, DirectoryFeed.Subscription Changes) Subscribe(long? afterVersion, CancellationToken cancellationToken, int maxBehind = 0)
    {
        lock (_gate)
        {
            // Under the lock: no change is published between the backlog and the subscription.
            var oldest = _history.TryPeek(out var first) ? first.Snapshot.Version - 1 : _current.Version;
            if (afterVersion is { } after && after >= oldest && after <= _current.Version)
            {
                return (null, _feed.Subscribe([.. _history.Where(change => change.Snapshot.Version > after)], cancellationToken, maxBehind));
            }

            return (_current, _feed.Subscribe([], cancellationToken, maxBehind));
        }
    }

    /// <summary>How many changes this directory keeps (<see cref="HistoryCapacity"/>, fewer past <see cref="HistoryEntryBudget"/>).</summary>
    internal int HistoryLimit => Math.Clamp(HistoryEntryBudget / _current.PartitionCount, 64, HistoryCapacity);

    /// <summary>How many changes are kept now (for tests; read without the lock).</summary>
    internal int HistoryCount => _history.Count;

    // Called under the lock, by Apply.
    private void Remember(PartitionChange change)
    {
        while (_history.Count >= HistoryLimit)
        {
            _history.Dequeue();
        }

        _history.Enqueue(change);
    }
}
