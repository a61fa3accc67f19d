namespace Partitioned.Serving;

/// <summary>
/// Micro-batch mode of one service: gathers up to the batch size, waiting at most the batch delay after the first
/// request (or, with a latency target, as long as <see cref="LatencyTargetWindow"/> allows), then hands the batch to
/// the thread pool under one handler slot. Runs on its own thread with blocking waits: the thread pool's timers fire in
/// steps of a few milliseconds here, far too coarse for a batch delay of 1 or 2 ms.
/// </summary>
internal sealed class MicroBatchLoop<TRequest, TReply>(ServiceProcessor<TRequest, TReply> processor, HandlerSlots slots, HandlerCalls<TRequest, TReply> handler, LatencyTargetWindow? window, CancellationToken stopping)
{
    private readonly ManualResetEventSlim _arrival = new(false);
    private readonly ManualResetEventSlim _released = new(false);
    private Thread? _thread;

    public void Start()
    {
        _thread = new Thread(window is null ? Run : RunToTarget) { IsBackground = true, Name = $"partitioned-batch-{processor.Name}" };
        _thread.Start();
    }

    /// <summary>A request was queued (or the service stops): the loop looks at the queue again.</summary>
    public void Wake() => _arrival.Set();

    /// <summary>Lets the loop see <c>stopping</c> and waits (bounded) for its thread to end.</summary>
    public void Stop()
    {
        // The events are not disposed: they belong to the loop's thread, which may outlive the wait.
        _arrival.Set();
        _released.Set();
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

            ThreadPool.UnsafeQueueUserWorkItem(static state => _ = state.Loop.RunBatchAsync(state.Batch, 0), (Loop: this, Batch: batch), preferLocal: false);
        }
    }

    /// <summary>The loop with a latency target: gathers while <see cref="LatencyTargetWindow.WaitUntil"/> allows, and teaches the window what each batch cost.</summary>
    private void RunToTarget()
    {
        var maxSize = processor.Options.MaxBatchSize;
        var time = processor.Time;
        while (!stopping.IsCancellationRequested)
        {
            window!.Arrivals.Observe(processor.Arrivals);
            if (!processor.TryDequeueLive(out var first))
            {
                WaitForArrival(TimeSpan.FromMilliseconds(200));
                continue;
            }

            var batch = new List<ServiceRequest<TRequest, TReply>>(Math.Min(maxSize, 64)) { first };
            var due = window.DueOf(first);
            while (batch.Count < maxSize)
            {
                if (processor.TryDequeueLive(out var next))
                {
                    batch.Add(next);
                    due = Math.Min(due, window.DueOf(next));
                    continue;
                }

                window.Arrivals.Observe(processor.Arrivals);
                var busy = slots.Running >= processor.Concurrency;
                var now = time.GetTimestamp();
                var until = window.WaitUntil(now, due, batch.Count, busy);
                if (until <= now)
                {
                    break;
                }

                // While the handler is busy, arrivals stay queued until it is free (or the bound): no wake-up per request.
                if (busy)
                {
                    WaitForRelease(time.GetElapsedTime(now, until));
                }
                else
                {
                    WaitForArrival(time.GetElapsedTime(now, until));
                }
            }

            while (!slots.TryTake())
            {
                if (stopping.IsCancellationRequested)
                {
                    return;
                }

                WaitForRelease(TimeSpan.FromMilliseconds(50));
            }

            var dispatched = time.GetTimestamp();
            ThreadPool.UnsafeQueueUserWorkItem(static state => _ = state.Loop.RunBatchAsync(state.Batch, state.Dispatched), (Loop: this, Batch: batch, Dispatched: dispatched), preferLocal: false);
        }
    }

    /// <summary>Blocks until a handler slot is released or <paramref name="timeout"/> passes; the event is reset before the slots are looked at again.</summary>
    private void WaitForRelease(TimeSpan timeout)
    {
        _released.Reset();
        if (slots.Running >= processor.Concurrency)
        {
            _released.Wait(timeout);
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

    /// <param name="batch">The requests, each answered by the handler or with a clear error.</param>
    /// <param name="dispatched">When the batch was handed to the thread pool (0 without a latency target): its cost counts from there, the hop included.</param>
    private async Task RunBatchAsync(List<ServiceRequest<TRequest, TReply>> batch, long dispatched)
    {
        try
        {
            await handler.ProcessAsync(batch).ConfigureAwait(false);
        }
        finally
        {
            if (window is not null)
            {
                window.Cost.Observe(batch.Count, processor.Time.GetElapsedTime(dispatched).TotalSeconds);
            }

            slots.Release();

            // A loop gathering while the handler was busy looks again: with the handler free, the window may close now.
            if (window is not null)
            {
                _released.Set();
            }
        }
    }
}
