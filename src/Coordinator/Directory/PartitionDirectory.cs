using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
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
public sealed partial class PartitionDirectory
{
    private readonly Lock _gate = new();
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly List<Channel<PartitionChange>> _watchers = [];
    private readonly long[] _lastSeenTicks;

    // Per partition, the attempt the driver launched or assigned last (-1: none announced, so any newer attempt may
    // register, as a stand-alone coordinator allows). Written under the lock.
    private readonly int[] _admitted;
    private DirectorySnapshot _current;
    private TaskCompletionSource _nextChange = NewSignal();

    /// <summary>Creates a directory of <paramref name="partitionCount"/> pending partitions.</summary>
    public PartitionDirectory(int partitionCount, TimeProvider? timeProvider = null, ILogger? logger = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(partitionCount);
        _time = timeProvider ?? TimeProvider.System;
        _logger = logger ?? NullLogger.Instance;
        var now = _time.GetUtcNow();
        _current = new DirectorySnapshot(0, [.. Enumerable.Range(0, partitionCount).Select(i => new PartitionEntry(i, PartitionState.Pending, -1, null, null, now))]);
        _lastSeenTicks = new long[partitionCount];
        _admitted = new int[partitionCount];
        Array.Fill(_admitted, -1);
    }

    /// <summary>Raised after every change, outside the directory's lock. Handlers may run concurrently;
    /// order by <see cref="DirectorySnapshot.Version"/> or use <see cref="WatchAsync"/> for an ordered stream.</summary>
    public event EventHandler<PartitionChange>? Changed;

    /// <summary>The latest snapshot.</summary>
    public DirectorySnapshot Current => Volatile.Read(ref _current);

    internal int WatcherCount
    {
        get
        {
            lock (_gate)
            {
                return _watchers.Count;
            }
        }
    }

    /// <summary>
    /// Admits an attempt the driver launched or assigned. From then on only that attempt of the partition may
    /// register: a lower one is stale, a higher one was never launched. Admitting a lower attempt than one already
    /// admitted does nothing.
    /// </summary>
    /// <returns>False for an unknown partition or a lower attempt.</returns>
    internal bool Admit(int partition, int attempt)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(attempt);
        lock (_gate)
        {
            if ((uint)partition >= (uint)_admitted.Length || attempt < _admitted[partition])
            {
                return false;
            }

            _admitted[partition] = attempt;
            return true;
        }
    }

    /// <summary>The attempt of a partition the driver admitted last, or -1 when none was announced.</summary>
    internal int AdmittedAttempt(int partition)
    {
        lock (_gate)
        {
            return (uint)partition < (uint)_admitted.Length ? _admitted[partition] : -1;
        }
    }

    /// <summary>Registers an attempt's endpoint, following the directory's rules.</summary>
    /// <param name="partition">The partition index.</param>
    /// <param name="attempt">The attempt number.</param>
    /// <param name="endpoint">Where its server listens.</param>
    /// <param name="node">The node it runs on, if it said.</param>
    internal RegistrationOutcome Register(int partition, int attempt, Uri endpoint, string? node = null)
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
            if (entry.State is PartitionState.Failed or PartitionState.Stopped)
            {
                outcome = new RegistrationOutcome(RegistrationResult.Closed, entry, null, _current.Version);
            }
            else if (attempt < entry.Attempt || attempt < _admitted[partition])
            {
                outcome = new RegistrationOutcome(RegistrationResult.StaleAttempt, entry, null, _current.Version);
            }
            else if (_admitted[partition] >= 0 && attempt > _admitted[partition])
            {
                outcome = new RegistrationOutcome(RegistrationResult.NotLaunched, entry, null, _current.Version);
            }
            else if (attempt == entry.Attempt && entry.State == PartitionState.Serving && entry.Endpoint == endpoint)
            {
                outcome = new RegistrationOutcome(RegistrationResult.AlreadyRegistered, entry, null, _current.Version);
            }
            else
            {
                var kind = entry.Endpoint is null ? PartitionChangeKind.Registered
                    : attempt > entry.Attempt || entry.Endpoint != endpoint ? PartitionChangeKind.Replaced
                    : PartitionChangeKind.Recovered;
                var updated = entry with { State = PartitionState.Serving, Attempt = attempt, Endpoint = endpoint, Node = node, Since = _time.GetUtcNow() };
                Volatile.Write(ref _lastSeenTicks[partition], updated.Since.UtcTicks);
                change = Apply(kind, entry, updated);
                outcome = new RegistrationOutcome(RegistrationResult.Accepted, updated, entry.Endpoint is null ? null : entry, change.Snapshot.Version);
            }
        }

        Raise(change);
        return outcome;
    }

    /// <summary>
    /// Records an error reported by an attempt. A serving partition whose current (or a newer) attempt
    /// reports an error is no longer live and becomes <see cref="PartitionState.Lost"/>.
    /// </summary>
    /// <returns>False when the report was ignored (unknown partition or stale attempt).</returns>
    internal bool ReportError(int partition, int attempt, string message)
    {
        ArgumentException.ThrowIfNullOrEmpty(message);
        return Update(partition, attempt, PartitionChangeKind.ErrorReported, entry => entry with
        {
            Attempt = attempt,
            LastError = message,
            State = entry.State == PartitionState.Serving ? PartitionState.Lost : entry.State,
            Since = entry.State == PartitionState.Serving ? _time.GetUtcNow() : entry.Since,
        });
    }

    /// <summary>Marks a serving attempt lost (its process died, or it stopped answering health checks).</summary>
    /// <returns>False when the partition was not serving that attempt.</returns>
    internal bool MarkLost(int partition, int attempt, string reason)
    {
        ArgumentException.ThrowIfNullOrEmpty(reason);
        return Update(partition, attempt, PartitionChangeKind.Lost, entry =>
            entry.State == PartitionState.Serving && entry.Attempt == attempt
                ? entry with { State = PartitionState.Lost, LastError = reason, Since = _time.GetUtcNow() }
                : null);
    }

    /// <summary>Marks a lost attempt serving again after it answered a health check.</summary>
    /// <returns>False when the partition was not lost at that attempt.</returns>
    internal bool MarkRecovered(int partition, int attempt)
    {
        return Update(partition, attempt, PartitionChangeKind.Recovered, entry =>
            entry.State == PartitionState.Lost && entry.Attempt == attempt && entry.Endpoint is not null
                ? entry with { State = PartitionState.Serving, Since = _time.GetUtcNow() }
                : null);
    }

    /// <summary>Marks a partition failed for good: its last allowed attempt failed.</summary>
    internal bool MarkFailed(int partition, string reason)
    {
        ArgumentException.ThrowIfNullOrEmpty(reason);
        return Update(partition, attempt: null, PartitionChangeKind.Failed, entry =>
            entry.State == PartitionState.Failed ? null : entry with { State = PartitionState.Failed, LastError = reason, Since = _time.GetUtcNow() });
    }

    /// <summary>Marks a partition stopped (shut down with its cluster).</summary>
    internal bool MarkStopped(int partition)
    {
        return Update(partition, attempt: null, PartitionChangeKind.Stopped, entry =>
            entry.State is PartitionState.Stopped or PartitionState.Failed ? null : entry with { State = PartitionState.Stopped, Since = _time.GetUtcNow() });
    }

    /// <summary>Notes that a partition's attempt answered just now (used for <see cref="GetLastSeen"/>; not a versioned change).</summary>
    internal void Touch(int partition, int attempt)
    {
        var snapshot = Current;
        if ((uint)partition < (uint)snapshot.PartitionCount && snapshot[partition].Attempt == attempt)
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
    public IAsyncEnumerable<PartitionChange> WatchAsync(CancellationToken cancellationToken = default)
    {
        var channel = Channel.CreateUnbounded<PartitionChange>(new UnboundedChannelOptions { SingleReader = true });
        lock (_gate)
        {
            _watchers.Add(channel);
        }

        return ReadWatchAsync(channel, cancellationToken);
    }

    private async IAsyncEnumerable<PartitionChange> ReadWatchAsync(Channel<PartitionChange> channel, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var change in channel.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                yield return change;
            }
        }
        finally
        {
            lock (_gate)
            {
                _watchers.Remove(channel);
            }
        }
    }

    /// <summary>Waits until <paramref name="condition"/> holds for the current snapshot, and returns that snapshot.</summary>
    public async Task<DirectorySnapshot> WaitUntilAsync(Func<DirectorySnapshot, bool> condition, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(condition);
        while (true)
        {
            Task next;
            DirectorySnapshot snapshot;
            lock (_gate)
            {
                snapshot = _current;
                next = _nextChange.Task;
            }

            if (condition(snapshot))
            {
                return snapshot;
            }

            await next.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private bool Update(int partition, int? attempt, PartitionChangeKind kind, Func<PartitionEntry, PartitionEntry?> transform)
    {
        PartitionChange? change;
        lock (_gate)
        {
            if ((uint)partition >= (uint)_current.PartitionCount)
            {
                return false;
            }

            var entry = _current[partition];
            if (attempt < entry.Attempt || (_admitted[partition] >= 0 && attempt > _admitted[partition]) || transform(entry) is not { } updated || updated == entry)
            {
                return false;
            }

            change = Apply(kind, entry, updated);
        }

        Raise(change);
        return true;
    }

    // Called under the lock: swap the snapshot, wake waiters and feed watchers in version order.
    private PartitionChange Apply(PartitionChangeKind kind, PartitionEntry previous, PartitionEntry updated)
    {
        var snapshot = new DirectorySnapshot(_current.Version + 1, _current.Partitions.SetItem(updated.Partition, updated));
        Volatile.Write(ref _current, snapshot);
        var change = new PartitionChange(kind, previous, updated, snapshot);
        Remember(change);
        foreach (var watcher in _watchers)
        {
            watcher.Writer.TryWrite(change);
        }

        var signal = _nextChange;
        _nextChange = NewSignal();
        signal.TrySetResult();
        return change;
    }

    private void Raise(PartitionChange? change)
    {
        if (change is null)
        {
            return;
        }

        Log.Changed(_logger, change.Partition, change.Kind, change.Current.Attempt, change.Snapshot.Version);
        SafeEvents.Raise(Changed, this, change, ex => Log.HandlerFailed(_logger, change.Partition, change.Kind, ex));
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
