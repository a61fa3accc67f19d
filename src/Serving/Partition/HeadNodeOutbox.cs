using System.Collections.Concurrent;

namespace Partitioned.Serving;

/// <summary>
/// Answers of one service's head-node requests, waiting to ride up with the transport's next message. With the long
/// poll, one HTTP exchange per batch carries the last batch's answers and fetches the next; an answer that arrives
/// while a pull is under way (a long poll may last seconds) goes out at once through the reply router instead, so no
/// answer waits for work to arrive. With the gRPC stream, the stream's writer takes them as they come (<see cref="Waiting"/>).
/// </summary>
internal sealed class HeadNodeOutbox(IReplyChannel router) : IReplyChannel
{
    private readonly ConcurrentQueue<(Uri ReplyTo, WireReply Reply)> _waiting = new();
    private int _pullsUnderWay;
    private TaskCompletionSource? _signal;

    public void Send(Uri replyTo, WireReply reply)
    {
        if (Volatile.Read(ref _pullsUnderWay) > 0)
        {
            router.Send(replyTo, reply);
            return;
        }

        _waiting.Enqueue((replyTo, reply));
        Signal();

        // A pull may have started (and taken what was waiting) between the check above and the enqueue.
        if (Volatile.Read(ref _pullsUnderWay) > 0)
        {
            FlushToRouter();
        }
    }

    /// <summary>Marks a pull under way and takes every waiting answer for its body. Call <see cref="EndPull"/> when it returns.</summary>
    public List<WireReply> BeginPull()
    {
        Interlocked.Increment(ref _pullsUnderWay);
        var replies = new List<WireReply>();
        while (_waiting.TryDequeue(out var item))
        {
            replies.Add(item.Reply);
        }

        return replies;
    }

    public void EndPull() => Interlocked.Decrement(ref _pullsUnderWay);

    /// <summary>
    /// Completes when an answer was queued after this call (a head-node stream's writer arms it, then takes what
    /// waits, then waits on it: an answer queued in between is not missed).
    /// </summary>
    public Task Waiting
    {
        get
        {
            var signal = Volatile.Read(ref _signal);
            if (signal is not null)
            {
                return signal.Task;
            }

            var created = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return (Interlocked.CompareExchange(ref _signal, created, null) ?? created).Task;
        }
    }

    /// <summary>Takes every answer waiting, for a head-node stream to send (without counting as a pull).</summary>
    public List<WireReply> TakeWaiting()
    {
        var replies = new List<WireReply>();
        while (_waiting.TryDequeue(out var item))
        {
            replies.Add(item.Reply);
        }

        return replies;
    }

    // The common case (no stream writer waits) costs one read.
    private void Signal()
    {
        if (Volatile.Read(ref _signal) is not null && Interlocked.Exchange(ref _signal, null) is { } signal)
        {
            signal.TrySetResult();
        }
    }

    /// <summary>From now on every answer goes straight to the router (the transport stopped), and so do those waiting.</summary>
    public void Close()
    {
        Interlocked.Increment(ref _pullsUnderWay);
        FlushToRouter();
    }

    private void FlushToRouter()
    {
        while (_waiting.TryDequeue(out var item))
        {
            router.Send(item.ReplyTo, item.Reply);
        }
    }
}
