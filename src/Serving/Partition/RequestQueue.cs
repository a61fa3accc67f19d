using System.Threading.Channels;

namespace Partitioned.Serving;

/// <summary>
/// The waiting requests of one service: first in, first out (a channel), or earliest deadline first (a heap under a
/// lock, ties in arrival order) for a service with a <see cref="ServiceOptions.LatencyTarget"/>. Unbounded here: the
/// processor counts capacity itself, so an expired request gives its slot back before it is dequeued.
/// </summary>
internal sealed class RequestQueue<TRequest, TReply>
{
    private readonly Channel<ServiceRequest<TRequest, TReply>>? _fifo;
    private readonly PriorityQueue<ServiceRequest<TRequest, TReply>, (long Deadline, long Order)>? _byDeadline;
    private readonly Lock _gate = new();
    private long _order;
    private bool _completed;

    public RequestQueue(bool earliestDeadlineFirst)
    {
        if (earliestDeadlineFirst)
        {
            _byDeadline = new();
        }
        else
        {
            _fifo = Channel.CreateUnbounded<ServiceRequest<TRequest, TReply>>();
        }
    }

    /// <summary>Queues a request; false once the queue was completed (the service stopped).</summary>
    public bool TryWrite(ServiceRequest<TRequest, TReply> request)
    {
        if (_fifo is not null)
        {
            return _fifo.Writer.TryWrite(request);
        }

        lock (_gate)
        {
            if (_completed)
            {
                return false;
            }

            _byDeadline!.Enqueue(request, (request.DeadlineTimestamp, _order++));
            return true;
        }
    }

    /// <summary>Takes the next request (the earliest deadline, or the oldest); false when none waits.</summary>
    public bool TryRead(out ServiceRequest<TRequest, TReply> request)
    {
        if (_fifo is not null)
        {
            return _fifo.Reader.TryRead(out request!);
        }

        lock (_gate)
        {
            return _byDeadline!.TryDequeue(out request!, out _);
        }
    }

    /// <summary>Takes no more requests; those waiting can still be read.</summary>
    public void Complete()
    {
        if (_fifo is not null)
        {
            _fifo.Writer.TryComplete();
            return;
        }

        lock (_gate)
        {
            _completed = true;
        }
    }
}
