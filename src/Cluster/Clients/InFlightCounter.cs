namespace Partitioned.Clustering;

/// <summary>Counts requests in flight and lets a stop wait until none are left.</summary>
internal sealed class InFlightCounter
{
    private readonly Lock _gate = new();
    private int _count;
    private TaskCompletionSource? _zero;

    public IDisposable Enter()
    {
        lock (_gate)
        {
            _count++;
        }

        return new Exit(this);
    }

    public async Task WaitForZeroAsync(TimeSpan timeout)
    {
        Task wait;
        lock (_gate)
        {
            if (_count == 0)
            {
                return;
            }

            _zero ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            wait = _zero.Task;
        }

        await wait.WaitAsync(timeout).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    private void Leave()
    {
        lock (_gate)
        {
            if (--_count == 0 && _zero is { } zero)
            {
                _zero = null;
                zero.TrySetResult();
            }
        }
    }

    private sealed class Exit(InFlightCounter counter) : IDisposable
    {
        private int _done;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _done, 1) == 0)
            {
                counter.Leave();
            }
        }
    }
}
