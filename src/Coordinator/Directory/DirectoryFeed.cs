using System.Runtime.CompilerServices;
using System.Threading.Channels;

#if PARTITIONED_CLIENT
namespace Partitioned.Client;
#else
namespace Partitioned.Coordination;
#endif

/// <summary>
/// The change feed of a partition directory, shared by the coordinator's directory and a remote client's mirror of it:
/// watchers that receive every change in version order, and waiters woken by each change. The owner publishes the
/// new snapshot first, then the change, one change at a time in version order (under its own lock).
/// </summary>
internal sealed class DirectoryFeed
{
    private readonly Lock _gate = new();
    private readonly List<Channel<PartitionChange>> _watchers = [];
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
    /// (a resume's missed changes), then every change published after the call. The subscription ends with the enumeration.
    /// </summary>
    public IAsyncEnumerable<PartitionChange> Subscribe(IEnumerable<PartitionChange> backlog, CancellationToken cancellationToken)
    {
        var channel = Channel.CreateUnbounded<PartitionChange>(new UnboundedChannelOptions { SingleReader = true });
        foreach (var change in backlog)
        {
            channel.Writer.TryWrite(change);
        }

        lock (_gate)
        {
            _watchers.Add(channel);
        }

        return ReadAsync(channel, cancellationToken);
    }

    /// <summary>Hands <paramref name="change"/> to every watcher and wakes every waiter.</summary>
    public void Publish(PartitionChange change)
    {
        TaskCompletionSource signal;
        lock (_gate)
        {
            foreach (var watcher in _watchers)
            {
                watcher.Writer.TryWrite(change);
            }

            signal = _nextChange;
            _nextChange = NewSignal();
        }

        signal.TrySetResult();
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

    private async IAsyncEnumerable<PartitionChange> ReadAsync(Channel<PartitionChange> channel, [EnumeratorCancellation] CancellationToken cancellationToken)
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

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
