using Microsoft.AspNetCore.Http;

namespace Partitioned.Serving;

/// <summary>The queue, admission, and continuous processing (a request at a time; micro-batch mode is <see cref="MicroBatchLoop{TRequest, TReply}"/>).</summary>
internal sealed partial class ServiceProcessor<TRequest, TReply>
{
    private static readonly Action<ServiceProcessor<TRequest, TReply>> s_drain = static processor => _ = processor.DrainQueueAsync();

    /// <summary>How many requests wait in the queue.</summary>
    public int Queued => Volatile.Read(ref _queued);

    /// <summary>How many requests were queued since the service started.</summary>
    public long Arrivals => Interlocked.Read(ref _arrivals);

    /// <summary>Handler invocations running at once (<see cref="ServiceOptions.Concurrency"/>, or its default).</summary>
    public int Concurrency => _concurrency;

    /// <summary>
    /// How many more requests a head-node transport should take now: enough to keep every handler slot busy (and the
    /// next batch ready), no more, so work is spread over partitions and a dying attempt holds little.
    /// </summary>
    public int PullRoom
    {
        get
        {
            var inHand = _continuous ? 4 * _concurrency : Options.MaxBatchSize * (_concurrency + 1);
            var room = Math.Min(inHand - Volatile.Read(ref _queued) - _slots.Running, Options.QueueCapacity - Volatile.Read(ref _queued));
            return Math.Max(0, room);
        }
    }

    /// <summary>Completes when a request finished and so freed room (arm it before reading <see cref="PullRoom"/>).</summary>
    public Task RoomFreed => _slots.Freed;

    /// <summary>Completes when <see cref="PullRoom"/> may have grown (a request finished), or after a quarter second.</summary>
    public async Task WaitForPullRoomAsync(CancellationToken cancellationToken)
    {
        var freed = _slots.Freed;

        // Checked after arming the signal: a slot released in between is not missed.
        if (PullRoom > 0)
        {
            return;
        }

        await freed.WaitAsync(TimeSpan.FromMilliseconds(250), _time, cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    /// <summary>Queues a request; false when the queue is full.</summary>
    public bool TryEnqueue(ServiceRequest<TRequest, TReply> request)
    {
        if (Interlocked.Increment(ref _queued) > Options.QueueCapacity)
        {
            Interlocked.Decrement(ref _queued);
            return false;
        }

        ServingMetrics.QueuedRequests.Add(1, _serviceTag);
        request.MarkQueued();
        Interlocked.Increment(ref _arrivals);
        if (!_queue.TryWrite(request))
        {
            // The service has stopped (a request that arrived during the last moments of the drain): answer, never drop.
            LeaveQueue(request);
            request.TryCompleteIfPending(ReplyOutcome<TReply>.Error(
                StatusCodes.Status503ServiceUnavailable, "Partition stopping", $"Partition {Partition} is stopping; service '{Name}' takes no more requests."));
            return true;
        }

        if (_continuous)
        {
            EnsureDraining();
        }
        else
        {
            _batchLoop?.Wake();
        }

        return true;
    }

    /// <summary>
    /// Continuous mode: when a slot is free and nobody waits, start the handler on this thread (a synchronous
    /// handler has answered when this returns); otherwise queue. False when the queue is full.
    /// </summary>
    public bool Admit(ServiceRequest<TRequest, TReply> request)
    {
        if (_continuous && Volatile.Read(ref _queued) == 0 && !_abort.IsCancellationRequested && _slots.TryTake())
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
            await _handler.ProcessAsync([request]).ConfigureAwait(false);
        }
        finally
        {
            _slots.Release();
            EnsureDraining();
        }
    }

    /// <summary>Takes the next queued request whose deadline has not passed; false when none waits.</summary>
    public bool TryDequeueLive(out ServiceRequest<TRequest, TReply> request)
    {
        while (_queue.TryRead(out request!))
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

    private void EnsureDraining()
    {
        if (Volatile.Read(ref _queued) > 0 && _slots.TryTake())
        {
            ThreadPool.UnsafeQueueUserWorkItem(s_drain, this, preferLocal: false);
        }
    }

    /// <summary>Continuous mode: a thread-pool item holding one slot handles queued requests one by one until the queue is empty.</summary>
    private async Task DrainQueueAsync()
    {
        while (true)
        {
            while (TryDequeueLive(out var request))
            {
                await _handler.ProcessAsync([request]).ConfigureAwait(false);
            }

            _slots.Release();

            // A request queued after the last look and before the release would otherwise wait for the next arrival.
            if (Volatile.Read(ref _queued) == 0 || !_slots.TryTake())
            {
                return;
            }
        }
    }
}
