namespace Partitioned.Serving;

/// <summary>
/// The handler slots of one service (<see cref="ServiceOptions.Concurrency"/>): one is held by each request or batch while
/// the handler runs on it. Releasing one wakes whoever waits for room (a head-node transport about to ask for more work).
/// </summary>
internal sealed class HandlerSlots(int count)
{
    private readonly Lock _gate = new();
    private TaskCompletionSource? _freed;
    private int _running;

    /// <summary>How many slots are held now.</summary>
    public int Running => Volatile.Read(ref _running);

    /// <summary>Completes when a slot is released after this call (arm it before reading what it frees).</summary>
    public Task Freed
    {
        get
        {
            lock (_gate)
            {
                return (_freed ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
            }
        }
    }

    public bool TryTake()
    {
        var running = Volatile.Read(ref _running);
        while (running < count)
        {
            var seen = Interlocked.CompareExchange(ref _running, running + 1, running);
            if (seen == running)
            {
                return true;
            }

            running = seen;
        }

        return false;
    }

    public void Release()
    {
        Interlocked.Decrement(ref _running);

        // Someone may be waiting for room; the common case (nobody waits) costs one read.
        if (Volatile.Read(ref _freed) is not null)
        {
            TaskCompletionSource? freed;
            lock (_gate)
            {
                freed = _freed;
                _freed = null;
            }

            freed?.TrySetResult();
        }
    }
}
