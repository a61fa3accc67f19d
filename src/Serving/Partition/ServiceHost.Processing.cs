using System.Diagnostics;
using Microsoft.AspNetCore.Http;

namespace Partitioned.Serving;

internal sealed partial class ServiceHost<TRequest, TReply>
{
    private static readonly Action<ServiceHost<TRequest, TReply>> s_drain = static host => _ = host.DrainAsync();

    /// <summary>Queues a request; false when the queue is full.</summary>
    private bool TryEnqueue(ServiceRequest<TRequest, TReply> request)
    {
        if (Interlocked.Increment(ref _queued) > Options.QueueCapacity)
        {
            Interlocked.Decrement(ref _queued);
            return false;
        }

        ServingMetrics.QueuedRequests.Add(1, _serviceTag);
        request.MarkQueued();
        if (!_queue.Writer.TryWrite(request))
        {
            // The service has stopped (a request that arrived during the last moments of the drain): answer, never drop.
            LeaveQueue(request);
            request.TryCompleteIfPending(ReplyOutcome<TReply>.Error(
                StatusCodes.Status503ServiceUnavailable, "Partition stopping", $"Partition {_feature.Context.Partition} is stopping; service '{Name}' takes no more requests."));
            return true;
        }

        if (_continuous)
        {
            EnsureDraining();
        }
        else
        {
            _arrival.Set();
        }

        return true;
    }

    /// <summary>
    /// Continuous mode: when a slot is free and nobody waits, start the handler on this thread (a synchronous
    /// handler has answered when this returns); otherwise queue. False when the queue is full.
    /// </summary>
    private bool Admit(ServiceRequest<TRequest, TReply> request)
    {
        if (_continuous && Volatile.Read(ref _queued) == 0 && !_abort.IsCancellationRequested && TryAcquireSlot())
        {
            // Not awaited: an asynchronous handler continues on its own while the caller waits for the answer with its deadline.
            _ = RunInlineAsync(request);
            return true;
        }

        return TryEnqueue(request);
    }

    private async Task RunInlineAsync(ServiceRequest<TRequest, TReply> request)
    {
        try
        {
            await ProcessAsync([request]).ConfigureAwait(false);
        }
        finally
        {
            ReleaseSlot();
            EnsureDraining();
        }
    }

    private bool TryDequeueLive(out ServiceRequest<TRequest, TReply> request)
    {
        while (_queue.Reader.TryRead(out request!))
        {
            if (LeaveQueue(request) && !request.IsCompleted)
            {
                return true;
            }

            // Otherwise its deadline passed while it waited: the slot was given back then.
        }

        return false;
    }

    /// <summary>Takes a request out of the queue's count; false when it had already left (a race with expiry or a dequeue).</summary>
    private bool LeaveQueue(ServiceRequest<TRequest, TReply> request)
    {
        if (!request.TryLeaveQueue())
        {
            return false;
        }

        Interlocked.Decrement(ref _queued);
        ServingMetrics.QueuedRequests.Add(-1, _serviceTag);
        return true;
    }

    private bool TryAcquireSlot()
    {
        var running = Volatile.Read(ref _running);
        while (running < _concurrency)
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

    private void ReleaseSlot()
    {
        Interlocked.Decrement(ref _running);

        // A head-node puller may be waiting for room; the common case (nobody waits) costs one read.
        if (Volatile.Read(ref _roomFreed) is not null)
        {
            TaskCompletionSource? freed;
            lock (_roomGate)
            {
                freed = _roomFreed;
                _roomFreed = null;
            }

            freed?.TrySetResult();
        }
    }

    private void EnsureDraining()
    {
        if (Volatile.Read(ref _queued) > 0 && TryAcquireSlot())
        {
            ThreadPool.UnsafeQueueUserWorkItem(s_drain, this, preferLocal: false);
        }
    }

    /// <summary>Continuous mode: a worker holding one slot handles queued requests one by one until the queue is empty.</summary>
    private async Task DrainAsync()
    {
        while (true)
        {
            while (TryDequeueLive(out var request))
            {
                await ProcessAsync([request]).ConfigureAwait(false);
            }

            ReleaseSlot();

            // A request queued after the last look and before the release would otherwise wait for the next arrival.
            if (Volatile.Read(ref _queued) == 0 || !TryAcquireSlot())
            {
                return;
            }
        }
    }

    /// <summary>
    /// Micro-batch mode: gather up to the batch size, waiting at most the batch delay after the first request, then
    /// hand the batch to the thread pool. Runs on its own thread with blocking waits: the thread pool's timers fire
    /// in steps of a few milliseconds here, far too coarse for a batch delay of 1 or 2 ms.
    /// </summary>
    private void BatchLoop()
    {
        var maxSize = Options.MaxBatchSize;
        var delay = Options.MaxBatchDelay;
        var stopping = _abort.Token;
        while (!stopping.IsCancellationRequested)
        {
            if (!TryDequeueLive(out var first))
            {
                WaitForArrival(TimeSpan.FromMilliseconds(200));
                continue;
            }

            var batch = new List<ServiceRequest<TRequest, TReply>>(Math.Min(maxSize, 64)) { first };
            var started = _time.GetTimestamp();
            while (batch.Count < maxSize)
            {
                if (TryDequeueLive(out var next))
                {
                    batch.Add(next);
                    continue;
                }

                var remaining = delay - _time.GetElapsedTime(started);
                if (remaining <= TimeSpan.Zero)
                {
                    break;
                }

                WaitForArrival(remaining);
            }

            while (!TryAcquireSlot())
            {
                if (stopping.IsCancellationRequested)
                {
                    return;
                }

                Thread.Sleep(1);
            }

            ThreadPool.UnsafeQueueUserWorkItem(static state => _ = state.Host.RunBatchAsync(state.Batch), (Host: this, Batch: batch), preferLocal: false);
        }
    }

    /// <summary>Blocks until a request is queued or <paramref name="timeout"/> passes. The event is reset before the queue is looked at again, so no arrival is missed.</summary>
    private void WaitForArrival(TimeSpan timeout)
    {
        _arrival.Reset();
        if (Volatile.Read(ref _queued) == 0)
        {
            _arrival.Wait(timeout);
        }
    }

    private async Task RunBatchAsync(List<ServiceRequest<TRequest, TReply>> batch)
    {
        try
        {
            await ProcessAsync(batch).ConfigureAwait(false);
        }
        finally
        {
            ReleaseSlot();
        }
    }

    /// <summary>
    /// The handler call's activity: a child of the request's trace (the client's, through the gateway or the ingress);
    /// a batch of several requests links to each of their traces instead.
    /// </summary>
    private static System.Diagnostics.Activity? StartActivity(IReadOnlyList<ServiceRequest<TRequest, TReply>> batch)
    {
        if (!ServingMetrics.Activities.HasListeners())
        {
            return null;
        }

        if (batch.Count == 1)
        {
            return ServingMetrics.Activities.StartActivity("serve.batch", System.Diagnostics.ActivityKind.Internal, batch[0].Parent);
        }

        var links = batch.Where(static r => r.Parent != default).Select(static r => new System.Diagnostics.ActivityLink(r.Parent)).ToList();
        return ServingMetrics.Activities.StartActivity("serve.batch", System.Diagnostics.ActivityKind.Internal, default(System.Diagnostics.ActivityContext), links: links);
    }

    /// <summary>Calls the handler, and answers every request it left unanswered: 500 on an exception (with a correlation id), 500 for a forgotten one.</summary>
    private async ValueTask ProcessAsync(IReadOnlyList<ServiceRequest<TRequest, TReply>> batch)
    {
        using var activity = StartActivity(batch);
        activity?.SetTag(ServingTelemetry.ServiceAttribute, Name);
        activity?.SetTag("partitioned.batch.size", batch.Count);
        ServingMetrics.BatchSize.Record(batch.Count, _serviceTag);
        try
        {
            var handled = _definition.Handler.HandleAsync(batch, _abort.Token);
            if (!handled.IsCompletedSuccessfully)
            {
                await handled.ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (_abort.IsCancellationRequested)
        {
            // The partition stopped and its drain time ran out: the handler was told to give up.
            foreach (var request in batch)
            {
                request.TryCompleteIfPending(ReplyOutcome<TReply>.Error(
                    StatusCodes.Status503ServiceUnavailable, "Partition stopping", $"Partition {_feature.Context.Partition} stopped before service '{Name}' finished request {request.Id}."));
            }

            return;
        }
        catch (Exception ex)
        {
            Log.HandlerFailed(_logger, Name, string.Join(", ", batch.Select(static r => r.Id)), ex);
            activity?.SetStatus(ActivityStatusCode.Error, ex.Message);
            foreach (var request in batch)
            {
                request.TryCompleteIfPending(ReplyOutcome<TReply>.Error(
                    StatusCodes.Status500InternalServerError, "Handler failed", $"The '{Name}' handler threw {ex.GetType().Name} while processing request {request.Id}; the partition's log has the details under that id."));
            }

            return;
        }

        foreach (var request in batch)
        {
            request.TryCompleteIfPending(ReplyOutcome<TReply>.Error(
                StatusCodes.Status500InternalServerError, "No reply", $"The '{Name}' handler returned without replying to request {request.Id} (nor forwarding it)."));
        }
    }
}
