namespace Partitioned.Serving;

/// <summary>
/// One partition attempt's gRPC stream for one service, on the head node: the credit the partition granted, a signal for
/// "credit came, a request arrived or the stream ended", and its place among the idle streams parked in a
/// <see cref="HeadNodeQueue"/>.
/// </summary>
internal sealed class PartitionStream(int partition, int attempt)
{
    private readonly Lock _gate = new();
    private TaskCompletionSource _woken = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _credit;

    // Both under the lock of PendingRequests: parked at most once at a time, and never again once closed.
    private bool _parked;
    private bool _closed;

    public int Partition { get; } = partition;

    public int Attempt { get; } = attempt;

    /// <summary>True while its attempt may not take work (replaced or lost): a wake is passed over. Under the lock of <see cref="PendingRequests"/>.</summary>
    public bool Benched { get; set; }

    public int Credit => Volatile.Read(ref _credit);

    public Task Woken
    {
        get
        {
            lock (_gate)
            {
                return _woken.Task;
            }
        }
    }

    /// <summary>Waits in <paramref name="queue"/> for a request to arrive (idle with credit).</summary>
    public void Park(HeadNodeQueue queue)
    {
        if (!_parked && !_closed)
        {
            _parked = true;
            queue.Park(this);
        }
    }

    /// <summary>Wakes the stream; false when it closed or was benched meanwhile (the wake then goes to the next one).</summary>
    public bool TryUnpark()
    {
        _parked = false;
        if (_closed || Benched)
        {
            return false;
        }

        Wake();
        return true;
    }

    public void Close() => _closed = true;

    public void Grant(int credit)
    {
        if (credit > 0)
        {
            Interlocked.Add(ref _credit, credit);
            Wake();
        }
    }

    public void Spend(int count) => Interlocked.Add(ref _credit, -count);

    public void Wake()
    {
        TaskCompletionSource woken;
        lock (_gate)
        {
            woken = _woken;
            _woken = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        woken.TrySetResult();
    }
}
