using System.Collections.Immutable;
using Partitioned.Directories;

namespace Partitioned.Client;

/// <summary>
/// A live mirror of a cluster's partition directory, kept up to date by the coordinator's gRPC Watch stream. It reads
/// like the driver's directory (both are an <see cref="IPartitionDirectory"/>): an immutable, versioned
/// <see cref="Current"/> snapshot, an ordered <see cref="WatchAsync"/> stream of changes, and a <see cref="Changed"/> event.
/// </summary>
/// <remarks>
/// Versions are the coordinator's: within one <see cref="Id"/> every change has the version after the one before.
/// After a reconnect the stream resumes where it stopped; when the coordinator no longer holds that history (or it
/// restarted, with a new <see cref="Id"/>), the mirror is reset to a fresh snapshot, and the changes it implies are
/// raised as one change per partition that differs, each carrying the fresh snapshot (they share its version).
/// </remarks>
public sealed class PartitionDirectoryMirror : IPartitionDirectory
{
    private readonly Lock _gate = new();
    private readonly DirectoryFeed _feed = new();
    private DirectorySnapshot _current;

    internal PartitionDirectoryMirror(string id, DirectorySnapshot initial)
    {
        Id = id;
        _current = initial;
    }

    /// <summary>Raised after every change, in version order, on the thread that follows the stream. Keep handlers short.</summary>
    public event EventHandler<PartitionChange>? Changed;

    /// <summary>The latest snapshot.</summary>
    public DirectorySnapshot Current => Volatile.Read(ref _current);

    /// <summary>How many replicas every partition runs, as the coordinator last said (1 before it said).</summary>
    public int ReplicaCount => Math.Max(1, Current.Partitions.Max(static p => p.Replicas.Length));

    /// <summary>The coordinator's directory id the mirror follows now (it changes when the coordinator restarted).</summary>
    public string Id { get; private set; }

    /// <summary>How many times the mirror was reset to a fresh snapshot instead of resuming (0 while it always resumed).</summary>
    public int Resets { get; private set; }

    /// <summary>
    /// Streams every change made after the call, in version order, until <paramref name="cancellationToken"/> fires.
    /// Each change carries the full snapshot after it.
    /// </summary>
    public IAsyncEnumerable<PartitionChange> WatchAsync(CancellationToken cancellationToken = default) => _feed.Subscribe([], cancellationToken);

    /// <summary>Waits until <paramref name="condition"/> holds for the current snapshot, and returns that snapshot.</summary>
    public Task<DirectorySnapshot> WaitUntilAsync(Func<DirectorySnapshot, bool> condition, CancellationToken cancellationToken) =>
        _feed.WaitUntilAsync(() => Current, condition, cancellationToken);

    /// <summary>Applies one change from the stream. Returns false (and changes nothing) when it is not the next version.</summary>
    internal bool Apply(PartitionChangeKind kind, PartitionEntry entry, int replica, long version)
    {
        PartitionChange change;
        lock (_gate)
        {
            if (version != _current.Version + 1 || (uint)entry.Partition >= (uint)_current.PartitionCount)
            {
                return false;
            }

            var previous = _current[entry.Partition];
            var snapshot = _current.With(version, entry);
            change = Publish(kind, previous, entry, snapshot, replica);
        }

        Changed?.Invoke(this, change);
        return true;
    }

    /// <summary>Replaces the mirror with a fresh snapshot, raising one change per partition that differs.</summary>
    internal void Reset(string id, DirectorySnapshot fresh)
    {
        var changes = new List<PartitionChange>();
        lock (_gate)
        {
            if (Id == id && fresh.Version == _current.Version)
            {
                return;
            }

            Id = id;
            Resets++;
            // Every change of a reset carries the fresh snapshot (they share its version): a snapshot per partition in
            // between would copy the whole directory once per partition, quadratic in partitions (10,000 of them took
            // gigabytes and many seconds per client to connect).
            var partitions = _current.Partitions;
            for (var i = 0; i < fresh.PartitionCount; i++)
            {
                var previous = partitions[i];
                var entry = fresh[i];
                if (!Same(previous, entry))
                {
                    changes.Add(Publish(KindOf(previous, entry), previous, entry, fresh));
                }
            }

            if (changes.Count == 0)
            {
                Volatile.Write(ref _current, fresh);
            }
        }

        foreach (var change in changes)
        {
            Changed?.Invoke(this, change);
        }
    }

    // Called under the lock.
    private PartitionChange Publish(PartitionChangeKind kind, PartitionEntry previous, PartitionEntry updated, DirectorySnapshot snapshot, int replica = 0)
    {
        Volatile.Write(ref _current, snapshot);
        var change = new PartitionChange(kind, previous, updated, snapshot)
        {
            Replica = replica < updated.Replicas.Length ? updated.Replicas[replica] : null,
            PreviousReplica = replica < previous.Replicas.Length ? previous.Replicas[replica] : null,
        };
        _feed.Publish(change);
        return change;
    }

    private static PartitionChangeKind KindOf(PartitionEntry previous, PartitionEntry entry) => entry.State switch
    {
        PartitionState.Serving when previous.Endpoint is null => PartitionChangeKind.Registered,
        PartitionState.Serving when previous.Attempt != entry.Attempt || previous.Endpoint != entry.Endpoint => PartitionChangeKind.Replaced,
        PartitionState.Serving when entry.Replicas.Count(static r => r.Suspected) > previous.Replicas.Count(static r => r.Suspected) => PartitionChangeKind.Suspected,
        PartitionState.Serving => PartitionChangeKind.Recovered,
        PartitionState.Lost => PartitionChangeKind.Lost,
        PartitionState.Failed => PartitionChangeKind.Failed,
        PartitionState.Stopped => PartitionChangeKind.Stopped,
        _ => PartitionChangeKind.ErrorReported,
    };

    // Records compare their replicas' arrays by reference: compare the replicas themselves.
    private static bool Same(PartitionEntry a, PartitionEntry b) =>
        a with { Replicas = [] } == b with { Replicas = [] } && a.Replicas.AsSpan().SequenceEqual(b.Replicas.AsSpan());

    internal static DirectorySnapshot Empty(int partitionCount) =>
        new(0, [.. Enumerable.Range(0, partitionCount).Select(static i => new PartitionEntry(i, PartitionState.Pending, -1, null, null, DateTimeOffset.UnixEpoch))]);

    internal static ImmutableArray<PartitionEntry> Entries(IEnumerable<PartitionEntry> entries) => [.. entries];
}
