namespace Partitioned.Serving;

/// <summary>
/// The head node's queue of one service: bounded for new requests, with replayed ones put back at the front. Long polls
/// wait on its <see cref="Arrival"/>; idle gRPC streams park in it. Guarded by the lock of <see cref="PendingRequests"/>,
/// which the caller holds for every call but <see cref="WaitAsync"/>.
/// </summary>
internal sealed class HeadNodeQueue(int capacity)
{
    private readonly LinkedList<HeadNodeRequest> _waiting = new();
    private TaskCompletionSource _arrived = NewSignal();
    private bool _watched;
    private readonly Queue<PartitionStream> _parked = new();

    /// <summary>Completes when a request arrives (take the task under the lock, await it outside).</summary>
    public Task Arrival
    {
        get
        {
            _watched = true;
            return _arrived.Task;
        }
    }

    /// <summary>How many requests wait (not yet taken by a partition).</summary>
    public int Count => _waiting.Count;

    public bool TryEnqueue(HeadNodeRequest request)
    {
        if (_waiting.Count >= capacity)
        {
            return false;
        }

        request.Node = _waiting.AddLast(request);
        Signal();
        return true;
    }

    /// <summary>Puts a request back at the front: it was accepted long ago and must not wait behind new ones (nor be refused).</summary>
    public void Requeue(HeadNodeRequest request)
    {
        request.Node = _waiting.AddFirst(request);
        Signal();
    }

    public void Remove(HeadNodeRequest request)
    {
        if (request.Node is { List: not null } node)
        {
            _waiting.Remove(node);
        }

        request.Node = null;
    }

    public List<HeadNodeRequest> Take(int max)
    {
        var taken = new List<HeadNodeRequest>(Math.Min(max, _waiting.Count));
        while (taken.Count < max && _waiting.First is { } first)
        {
            _waiting.RemoveFirst();
            first.Value.Node = null;
            taken.Add(first.Value);
        }

        return taken;
    }

    /// <summary>True when <paramref name="arrival"/> completed within <paramref name="timeout"/>; the timer is gone either way.</summary>
    public static async Task<bool> WaitAsync(Task arrival, TimeSpan timeout, TimeProvider time, CancellationToken cancellationToken)
    {
        await arrival.WaitAsync(timeout, time, cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        return arrival.IsCompleted;
    }

    /// <summary>
    /// Parks an idle stream (one with credit and nothing to send) until a request arrives. Each arrival wakes one parked
    /// stream, the one idle longest, instead of every waiter: with several partitions, one request wakes one writer.
    /// Called under the lock, as every other member.
    /// </summary>
    public void Park(PartitionStream stream) => _parked.Enqueue(stream);

    /// <summary>Wakes the next parked stream that is still open (a stream that closed passes its wake on this way).</summary>
    public void WakeParked()
    {
        while (_parked.TryDequeue(out var stream))
        {
            if (stream.TryUnpark())
            {
                return;
            }
        }
    }

    // Under load nobody waits (pulls find work at once): then arrivals cost no allocation.
    private void Signal()
    {
        WakeParked();
        if (!_watched)
        {
            return;
        }

        _watched = false;
        var arrived = _arrived;
        _arrived = NewSignal();
        arrived.TrySetResult();
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
