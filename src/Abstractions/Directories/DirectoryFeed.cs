using System.Runtime.CompilerServices;
using System.Threading.Channels;

namespace Partitioned.Directories;

/// <summary>
/// The change feed of a partition directory, shared by the coordinator's directory and a remote client's mirror of it:
/// watchers that receive every change in version order, and waiters woken by each change. The owner publishes the
/// new snapshot first, then the change, one change at a time in version order (under its own lock).
/// </summary>
internal sealed class DirectoryFeed
{
    private readonly Lock _gate = new();
    private readonly List<Subscription> _watchers = [];
    private TaskCompletionSource _nextChange = NewSignal();

    /// <summary>How many watchers are subscribed now.</summary>
    public int WatcherCount
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
    /// Subscribes a watcher now (not at its first <c>MoveNextAsync</c>), which first receives <paramref name="backlog"/>
    /// (a resume's missed changes), then every change published after the call. The subscription ends when its
    /// enumeration ends, when it is disposed (whether or not it was ever enumerated), when
    /// <paramref name="cancellationToken"/> fires, or, with <paramref name="maxBehind"/> above 0, when more than that
    /// many changes wait for it (its enumeration then throws <see cref="WatcherFellBehindException"/>): no path leaves it subscribed.
    /// </summary>
    public Subscription Subscribe(IEnumerable<PartitionChange> backlog, CancellationToken cancellationToken, int maxBehind = 0)
    {
        var subscription = new Subscription(this, maxBehind);
        foreach (var change in backlog)
        {
            subscription.Channel.Writer.TryWrite(change);
        }

        // The backlog is owed already: only changes published from now on count against the limit.
        subscription.Limit = maxBehind > 0 ? maxBehind + subscription.Channel.Reader.Count : 0;

        lock (_gate)
        {
            _watchers.Add(subscription);
        }

        subscription.EndWith(cancellationToken);
        return subscription;
    }

    /// <summary>Hands <paramref name="change"/> to every watcher (ending those too far behind) and wakes every waiter.</summary>
    public void Publish(PartitionChange change)
    {
        TaskCompletionSource signal;
        List<Subscription>? behind = null;
        lock (_gate)
        {
            foreach (var watcher in _watchers)
            {
                if (watcher.Limit > 0 && watcher.Channel.Reader.Count >= watcher.Limit)
                {
                    (behind ??= []).Add(watcher);
                }
                else
                {
                    watcher.Channel.Writer.TryWrite(change);
                }
            }

            signal = _nextChange;
            _nextChange = NewSignal();
        }

        signal.TrySetResult();
        foreach (var watcher in behind ?? [])
        {
            watcher.FellBehind();
        }
    }

    /// <summary>Waits until <paramref name="condition"/> holds for the snapshot <paramref name="current"/> returns, and returns that snapshot.</summary>
    public async Task<DirectorySnapshot> WaitUntilAsync(Func<DirectorySnapshot> current, Func<DirectorySnapshot, bool> condition, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(condition);
        while (true)
        {
            // The signal before the snapshot: a change published in between completes the signal, so none is slept through.
            Task next;
            lock (_gate)
            {
                next = _nextChange.Task;
            }

            var snapshot = current();
            if (condition(snapshot))
            {
                return snapshot;
            }

            await next.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private void Remove(Subscription subscription)
    {
        lock (_gate)
        {
            _watchers.Remove(subscription);
        }
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>
    /// One watcher: the changes waiting for it, readable once. Disposing it unsubscribes; <see cref="Ended"/> fires when
    /// it was ended for falling behind, so a writer blocked on a slow connection stops waiting.
    /// </summary>
    internal sealed class Subscription : IAsyncEnumerable<PartitionChange>, IDisposable
    {
        private readonly DirectoryFeed _feed;
        private readonly CancellationTokenSource _ended = new();
        private int _disposed;

        public Subscription(DirectoryFeed feed, int maxBehind)
        {
            _feed = feed;
            MaxBehind = maxBehind;
        }

        // Not SingleReader: that channel cannot count what waits in it, and the count is the limit.
        public Channel<PartitionChange> Channel { get; } = System.Threading.Channels.Channel.CreateUnbounded<PartitionChange>();

        /// <summary>How many changes may fall behind before the watcher is ended; 0 for no limit.</summary>
        public int MaxBehind { get; }

        /// <summary>How many changes may wait for this watcher (its backlog and <see cref="MaxBehind"/>) before it is ended; 0 for no limit.</summary>
        public int Limit { get; set; }

        /// <summary>Fires when the watcher was ended for falling behind.</summary>
        public CancellationToken Ended => _ended.Token;

        /// <summary>True when the watcher was ended for falling behind.</summary>
        public bool HasFallenBehind { get; private set; }

        private CancellationTokenRegistration _unsubscribe;
        private CancellationToken _token;

        /// <summary>A caller that cancels before (or without ever) enumerating must not leave the watcher subscribed.</summary>
        public void EndWith(CancellationToken cancellationToken)
        {
            _token = cancellationToken;
            var registration = cancellationToken.Register(static state => ((Subscription)state!).Dispose(), this);
            if (Volatile.Read(ref _disposed) != 0)
            {
                registration.Dispose();
            }
            else
            {
                _unsubscribe = registration;
            }
        }

        public async IAsyncEnumerator<PartitionChange> GetAsyncEnumerator(CancellationToken cancellationToken = default)
        {
            using var reading = CancellationTokenSource.CreateLinkedTokenSource(_token, cancellationToken);
            try
            {
                await foreach (var change in Channel.Reader.ReadAllAsync(reading.Token).ConfigureAwait(false))
                {
                    yield return change;
                }
            }
            finally
            {
                Dispose();
            }
        }

        public void FellBehind()
        {
            HasFallenBehind = true;
            Channel.Writer.TryComplete(new WatcherFellBehindException(MaxBehind));
            _feed.Remove(this);
            _ended.Cancel();
        }

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) != 0)
            {
                return;
            }

            _feed.Remove(this);
            Channel.Writer.TryComplete();
            _unsubscribe.Dispose();

            // _ended is not disposed: a writer may still link to its token; without a timer it holds nothing to free.
        }
    }

    /// <summary>A watcher was ended because more changes waited for it than it may fall behind by.</summary>
    internal sealed class WatcherFellBehindException(int maxBehind)
        : Exception($"The watcher fell more than {maxBehind} changes behind the directory and was ended; resume after the last version it applied.");
}
