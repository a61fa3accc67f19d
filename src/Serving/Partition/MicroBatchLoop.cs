namespace Partitioned.Serving;

/// <summary>
/// Micro-batch mode of one service: gathers up to the batch size, waiting at most the batch delay after the first
/// request, then hands the batch to the thread pool under one handler slot. Runs on its own thread with blocking waits:
/// the thread pool's timers fire in steps of a few milliseconds here, far too coarse for a batch delay of 1 or 2 ms.
/// </summary>
internal sealed class MicroBatchLoop<TRequest, TReply>(ServiceProcessor<TRequest, TReply> processor, HandlerSlots slots, HandlerCalls<TRequest, TReply> handler, CancellationToken stopping)
{
    private readonly ManualResetEventSlim _arrival = new(false);
    private Thread? _thread;

    public void Start()
    {
        _thread = new Thread(Run) { IsBackground = true, Name = $"partitioned-batch-{processor.Name}" };
        _thread.Start();
    }

    /// <summary>A request was queued (or the service stops): the loop looks at the queue again.</summary>
    public void Wake() => _arrival.Set();

    /// <summary>Lets the loop see <c>stopping</c> and waits (bounded) for its thread to end.</summary>
    public void Stop()
    {
        // The event is not disposed: it belongs to the loop's thread, which may outlive the wait.
        _arrival.Set();
        _thread?.Join(TimeSpan.FromSeconds(5));
    }

    private void Run()
    {
        var maxSize = processor.Options.MaxBatchSize;
        var delay = processor.Options.MaxBatchDelay;
        var time = processor.Time;
        while (!stopping.IsCancellationRequested)
        {
            if (!processor.TryDequeueLive(out var first))
            {
                WaitForArrival(TimeSpan.FromMilliseconds(200));
                continue;
            }

            var batch = new List<ServiceRequest<TRequest, TReply>>(Math.Min(maxSize, 64)) { first };
            var started = time.GetTimestamp();
            while (batch.Count < maxSize)
            {
                if (processor.TryDequeueLive(out var next))
                {
                    batch.Add(next);
                    continue;
                }

                var remaining = delay - time.GetElapsedTime(started);
                if (remaining <= TimeSpan.Zero)
                {
                    break;
                }

                WaitForArrival(remaining);
            }

            while (!slots.TryTake())
            {
                if (stopping.IsCancellationRequested)
                {
                    return;
                }

                Thread.Sleep(1);
            }

            ThreadPool.UnsafeQueueUserWorkItem(static state => _ = state.Loop.RunBatchAsync(state.Batch), (Loop: this, Batch: batch), preferLocal: false);
        }
    }

    /// <summary>Blocks until a request is queued or <paramref name="timeout"/> passes. The event is reset before the queue is looked at again, so no arrival is missed.</summary>
    private void WaitForArrival(TimeSpan timeout)
    {
        _arrival.Reset();
        if (processor.Queued == 0)
        {
            _arrival.Wait(timeout);
        }
    }

    private async Task RunBatchAsync(List<ServiceRequest<TRequest, TReply>> batch)
    {
        try
        {
            await handler.ProcessAsync(batch).ConfigureAwait(false);
        }
        finally
        {
            slots.Release();
        }
    }
}
