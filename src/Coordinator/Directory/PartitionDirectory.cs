using System.Collections.Immutable;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Partitioned.Directories;
using Partitioned.Shared;

namespace Partitioned.Coordination;

/// <summary>
/// The driver's registry of partition to endpoint, and the rules for changing it. State is an immutable
/// <see cref="DirectorySnapshot"/> replaced on every change; changes are published in order to
/// <see cref="WatchAsync"/> subscribers and raised on <see cref="Changed"/>.
/// </summary>
/// <remarks>
/// Read-only to its users: only the coordinator (its routes and health checks) and the driver through
/// <see cref="Coordinator"/> change it. Rules: an unknown partition index is refused; an attempt lower than the latest known attempt of its
/// partition is stale and refused; a higher attempt replaces the endpoint; errors and losses reported for a
/// stale attempt are ignored, so a late report from a dead attempt cannot take down its successor.
/// </remarks>
public sealed partial class PartitionDirectory : IPartitionDirectory
{
    private readonly Lock _gate = new();
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly DirectoryFeed _feed = new();
    private readonly long[] _lastSeenTicks;

    private readonly AttemptAdmissions _admissions; // under the lock
    private DirectorySnapshot _current;

    /// <summary>Creates a directory of <paramref name="partitionCount"/> pending partitions, one replica each.</summary>
    public PartitionDirectory(int partitionCount, TimeProvider? timeProvider = null, ILogger? logger = null)
        : this(partitionCount, 1, timeProvider, logger)
    {
    }

    /// <summary>Creates a directory of <paramref name="partitionCount"/> pending partitions of <paramref name="replicas"/> replicas each.</summary>
    public PartitionDirectory(int partitionCount, int replicas, TimeProvider? timeProvider = null, ILogger? logger = null)
        : this(partitionCount, replicas, replicas, timeProvider, logger)
    {
    }

    // Autoscaling: <replicas> slots per partition, the first <activeReplicas> pending, the rest retired until scaled up.
    internal PartitionDirectory(int partitionCount, int replicas, int activeReplicas, TimeProvider? timeProvider = null, ILogger? logger = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(partitionCount);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(replicas);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(activeReplicas);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(activeReplicas, replicas);
        _time = timeProvider ?? TimeProvider.System;
        _logger = logger ?? NullLogger.Instance;
        var now = _time.GetUtcNow();
        ImmutableArray<ReplicaEntry> pending = [.. Enumerable.Range(0, replicas).Select(r => new ReplicaEntry(r, r < activeReplicas ? PartitionState.Pending : PartitionState.Retired, -1, null, null, now))];
        _current = new DirectorySnapshot(0, [.. Enumerable.Range(0, partitionCount).Select(i => PartitionEntry.FromReplicas(i, pending))]);
        _lastSeenTicks = new long[partitionCount];
        _admissions = new AttemptAdmissions(partitionCount, replicas);
        ReplicaCount = replicas;
    }

    /// <summary>Raised after every change, outside the directory's lock. Handlers may run concurrently;
    /// order by <see cref="DirectorySnapshot.Version"/> or use <see cref="WatchAsync"/> for an ordered stream.</summary>
    public event EventHandler<PartitionChange>? Changed;

    /// <summary>The latest snapshot.</summary>
    public DirectorySnapshot Current => Volatile.Read(ref _current);

    /// <summary>How many replicas every partition has.</summary>
    public int ReplicaCount { get; }

    internal int WatcherCount => _feed.WatcherCount;

    internal TimeProvider Time => _time;

    /// <summary>
    /// Admits an attempt the driver launched or assigned, for replica 0. From then on only that attempt of the replica
    /// may register: a lower one is stale, a higher one was never launched. Admitting a lower attempt than one already
    /// admitted does nothing.
    /// </summary>
    /// <returns>False for an unknown partition or a lower attempt.</returns>
    internal bool Admit(int partition, int attempt) => Admit(partition, 0, attempt, 0);

    /// <summary>Admits an attempt of one replica, running server version <paramref name="version"/>.</summary>
    /// <returns>False for an unknown partition or replica, or a lower attempt than the replica's admitted one.</returns>
    internal bool Admit(int partition, int replica, int attempt, int version, bool reinstate = false)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(attempt);
        lock (_gate)
        {
            return _admissions.Admit(partition, replica, attempt, version, reinstate);
        }
    }

    /// <summary>The attempt of a partition the driver admitted last (any replica), or -1 when none was announced.</summary>
    internal int AdmittedAttempt(int partition)
    {
        lock (_gate)
        {
            return _admissions.Latest(partition);
        }
    }

    /// <summary>Registers an attempt's endpoint, following the directory's rules.</summary>
    /// <param name="partition">The partition index.</param>
    /// <param name="attempt">The attempt number.</param>
    /// <param name="endpoint">Where its server listens.</param>
    /// <param name="node">The node it runs on, if it said.</param>
    /// <param name="labels">The labels it announced, if any (already checked).</param>
    /// <param name="executor">The executor it runs in, if it said (already checked).</param>
    internal RegistrationOutcome Register(int partition, int attempt, Uri endpoint, string? node = null, IReadOnlyDictionary<string, string>? labels = null, string? executor = null)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        ArgumentOutOfRangeException.ThrowIfNegative(attempt);
        PartitionChange? change = null;
        RegistrationOutcome outcome;
        lock (_gate)
        {
            if ((uint)partition >= (uint)_current.PartitionCount)
            {
                return new RegistrationOutcome(RegistrationResult.UnknownPartition, null, null, _current.Version);
            }

            var entry = _current[partition];
            var replicaIndex = _admissions.ReplicaOf(partition, attempt);
            var replica = replicaIndex < 0 ? null : entry.Replicas[replicaIndex];
            var admitted = replicaIndex < 0 ? _admissions.Latest(partition) : _admissions.Of(partition, replicaIndex);
            if (entry.State is PartitionState.Failed or PartitionState.Stopped || replica?.State is PartitionState.Failed or PartitionState.Stopped or PartitionState.Retired)
            {
                outcome = new RegistrationOutcome(RegistrationResult.Closed, entry, null, _current.Version);
            }
            else if (replica is null)
            {
                outcome = new RegistrationOutcome(attempt < admitted ? RegistrationResult.StaleAttempt : RegistrationResult.NotLaunched, entry, null, _current.Version);
            }
            else if (attempt < replica.Attempt || attempt < admitted)
            {
                outcome = new RegistrationOutcome(RegistrationResult.StaleAttempt, entry, null, _current.Version);
            }
            else if (admitted >= 0 && attempt > admitted)
            {
                outcome = new RegistrationOutcome(RegistrationResult.NotLaunched, entry, null, _current.Version);
            }
            else if (attempt == replica.Attempt && replica.State == PartitionState.Serving && replica.Endpoint == endpoint && replica.Executor == executor)
            {
                outcome = new RegistrationOutcome(RegistrationResult.AlreadyRegistered, entry, null, _current.Version);
            }
            else
            {
                var kind = replica.Endpoint is null ? PartitionChangeKind.Registered
                    : attempt > replica.Attempt || replica.Endpoint != endpoint ? PartitionChangeKind.Replaced
                    : PartitionChangeKind.Recovered;
                var updated = replica with
                {
                    State = PartitionState.Serving,
                    Suspected = false,
                    Attempt = attempt,
                    Endpoint = endpoint,
                    Node = node,
                    Executor = executor,
                    Since = _time.GetUtcNow(),
                    Version = _admissions.VersionOf(partition, attempt, replica.Version),
                    Labels = labels is null or { Count: 0 } ? ReplicaEntry.EmptyLabels : new Dictionary<string, string>(labels, StringComparer.Ordinal),
                };
                Volatile.Write(ref _lastSeenTicks[partition], updated.Since.UtcTicks);
                change = Apply(kind, entry, replicaIndex, updated);
                var replaced = replica.Endpoint is null ? null : new PartitionEntry(partition, replica.State, replica.Attempt, replica.Endpoint, replica.LastError, replica.Since) { Node = replica.Node };
                outcome = new RegistrationOutcome(RegistrationResult.Accepted, change.Current, replaced, change.Snapshot.Version);
            }
        }

        Raise(change);
        return outcome;
    }

    /// <summary>
    /// Records an error reported by an attempt. A serving replica whose current (or a newer) attempt
    /// reports an error is no longer live and becomes <see cref="PartitionState.Lost"/>.
    /// </summary>
    /// <returns>False when the report was ignored (unknown partition or stale attempt).</returns>
    internal bool ReportError(int partition, int attempt, string message)
    {
        ArgumentException.ThrowIfNullOrEmpty(message);
        return Update(partition, attempt, PartitionChangeKind.ErrorReported, replica => replica.State == PartitionState.Serving && attempt > replica.Attempt
            // A newer attempt started next to a serving one (a rolling update) and failed: the serving one stays.
            ? replica with { LastError = message }
            : replica with
        {
            Attempt = attempt,
            LastError = message,
            State = replica.State == PartitionState.Serving ? PartitionState.Lost : replica.State,
            Suspected = false,
            Since = replica.State == PartitionState.Serving ? _time.GetUtcNow() : replica.Since,
        });
    }

    /// <summary>Marks every replica of a partition failed for good: its last allowed attempt failed.</summary>
    internal bool MarkFailed(int partition, string reason) => MarkFailed(partition, replica: null, reason);

    /// <summary>Marks one replica (or, with null, every replica) failed for good.</summary>
    internal bool MarkFailed(int partition, int? replica, string reason)
    {
        ArgumentException.ThrowIfNullOrEmpty(reason);
        return UpdateAll(partition, replica, PartitionChangeKind.Failed, entry =>
            entry.State == PartitionState.Failed ? null : entry with { State = PartitionState.Failed, LastError = reason, Since = _time.GetUtcNow() });
    }

    /// <summary>Marks a partition stopped (shut down with its cluster).</summary>
    internal bool MarkStopped(int partition)
    {
        return UpdateAll(partition, replica: null, PartitionChangeKind.Stopped, entry =>
            entry.State is PartitionState.Stopped or PartitionState.Failed or PartitionState.Retired ? null : entry with { State = PartitionState.Stopped, Since = _time.GetUtcNow() });
    }

    /// <summary>Notes that a partition's attempt answered just now (used for <see cref="GetLastSeen"/>; not a versioned change).</summary>
    internal void Touch(int partition, int attempt)
    {
        var snapshot = Current;
        if ((uint)partition < (uint)snapshot.PartitionCount && snapshot[partition].Replicas.Any(r => r.Attempt == attempt))
        {
            Volatile.Write(ref _lastSeenTicks[partition], _time.GetUtcNow().UtcTicks);
        }
    }

    /// <summary>When the partition last answered (a health check or its registration), or null if never.</summary>
    public DateTimeOffset? GetLastSeen(int partition)
    {
        var ticks = Volatile.Read(ref _lastSeenTicks[partition]);
        return ticks == 0 ? null : new DateTimeOffset(ticks, TimeSpan.Zero);
    }

    /// <summary>
    /// Streams every change made after the call, in version order, until <paramref name="cancellationToken"/> fires
    /// (the subscription starts here, not at the first <c>MoveNextAsync</c>, so no change in between is missed).
    /// Each change carries the full snapshot, so a watcher never has to combine a read with the stream.
    /// Enumerate what this returns: the subscription ends when that enumeration ends.
    /// </summary>
    public IAsyncEnumerable<PartitionChange> WatchAsync(CancellationToken cancellationToken = default) => _feed.Subscribe([], cancellationToken);

    /// <summary>Waits until <paramref name="condition"/> holds for the current snapshot, and returns that snapshot.</summary>
    public Task<DirectorySnapshot> WaitUntilAsync(Func<DirectorySnapshot, bool> condition, CancellationToken cancellationToken) =>
        _feed.WaitUntilAsync(() => Current, condition, cancellationToken);

    // Changes the replica that runs <attempt>, following the rules: a stale or never-launched attempt changes nothing.
    internal bool Update(int partition, int attempt, PartitionChangeKind kind, Func<ReplicaEntry, ReplicaEntry?> transform)
    {
        PartitionChange? change;
        lock (_gate)
        {
            if ((uint)partition >= (uint)_current.PartitionCount)
            {
                return false;
            }

            var entry = _current[partition];
            var index = _admissions.ReplicaOf(partition, attempt);
            if (index < 0)
            {
                return false;
            }

            var replica = entry.Replicas[index];
            var admitted = _admissions.Of(partition, index);
            if (attempt < replica.Attempt || (admitted >= 0 && attempt > admitted) || transform(replica) is not { } updated || updated == replica)
            {
                return false;
            }

            change = Apply(kind, entry, index, updated);
        }

        Raise(change);
        return true;
    }

    // Changes one replica, or every replica when <replica> is null, in one version per replica changed.
    internal bool UpdateAll(int partition, int? replica, PartitionChangeKind kind, Func<ReplicaEntry, ReplicaEntry?> transform)
    {
        var changes = new List<PartitionChange>();
        lock (_gate)
        {
            if ((uint)partition >= (uint)_current.PartitionCount || replica is { } r && (uint)r >= (uint)ReplicaCount)
            {
                return false;
            }

            for (var index = 0; index < ReplicaCount; index++)
            {
                if ((replica is null || replica == index) && transform(_current[partition].Replicas[index]) is { } updated)
                {
                    changes.Add(Apply(kind, _current[partition], index, updated));
                }
            }
        }

        foreach (var change in changes)
        {
            Raise(change);
        }

        return changes.Count > 0;
    }

    // Called under the lock: swap the snapshot, wake waiters and feed watchers in version order.
    private PartitionChange Apply(PartitionChangeKind kind, PartitionEntry previous, int replica, ReplicaEntry updated)
    {
        var before = previous.Replicas[replica];
        var partitionEntry = PartitionEntry.FromReplicas(previous.Partition, previous.Replicas.SetItem(replica, updated));
        var snapshot = _current.With(_current.Version + 1, partitionEntry);
        Volatile.Write(ref _current, snapshot);
        var change = new PartitionChange(kind, previous, partitionEntry, snapshot) { Replica = updated, PreviousReplica = before };
        Remember(change);
        _feed.Publish(change);
        return change;
    }

    private void Raise(PartitionChange? change)
    {
        if (change is null)
        {
            return;
        }

        Log.Changed(_logger, change.Partition, change.Kind, change.Attempt, change.Snapshot.Version);
        SafeEvents.Raise(Changed, this, change, ex => Log.HandlerFailed(_logger, change.Partition, change.Kind, ex));
    }
}
