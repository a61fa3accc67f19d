namespace Partitioned.Routing;

/// <summary>Counts requests in flight and lets a stop wait until none are left.</summary>
internal sealed class InFlightCounter
{
    private readonly Lock _gate = new();
    private int _count;
    private TaskCompletionSource? _zero;

    /// <summary>A request starts; pair with <see cref="Leave"/> in a <c>finally</c>.</summary>
    public void Enter()
    {
        lock (_gate)
        {
            _count++;
        }
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

    /// <summary>A request ended.</summary>
    public void Leave()
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
}
