namespace Partitioned.Serving;

/// <summary>
/// One request of a service, as a handler sees it: the parsed <see cref="Request"/>, its <see cref="Id"/>, and
/// the ways to answer it. Exactly one answer counts; later ones are ignored (and counted in the
/// <c>partitioned.serving.duplicate_replies</c> metric).
/// </summary>
/// <typeparam name="TRequest">The parsed request type.</typeparam>
/// <typeparam name="TReply">The reply type.</typeparam>
public sealed class ServiceRequest<TRequest, TReply> : IRemotelyCompleted
{
    private const int Pending = 0;
    private const int Replied = 1;
    private const int Forwarded = 2;
    private const int Expired = 3;

    private readonly ReplySink<TReply> _sink;
    private readonly IServiceRuntime<TRequest, TReply> _runtime;
    private int _state;
    private int _queued;

    internal ServiceRequest(string id, TRequest request, ReplySink<TReply> sink, IServiceRuntime<TRequest, TReply> runtime, long arrivedTimestamp, System.Diagnostics.ActivityContext parent = default)
    {
        Id = id;
        Parent = parent;
        Request = request;
        _sink = sink;
        _runtime = runtime;
        ArrivedTimestamp = arrivedTimestamp;
    }

    /// <summary>The request's id, unique in its cluster run; error replies carry it as a correlation id.</summary>
    public string Id { get; }

    /// <summary>The parsed request.</summary>
    public TRequest Request { get; }

    /// <summary>True once the request was answered (or forwarded, or its deadline passed).</summary>
    public bool IsCompleted => Volatile.Read(ref _state) != Pending;

    internal long ArrivedTimestamp { get; }

    /// <summary>When the request's deadline passes (a timestamp of the service's time provider): the order of an earliest-deadline-first queue.</summary>
    internal long DeadlineTimestamp { get; init; } = long.MaxValue;

    /// <summary>The trace the request arrived in (default: none), so its handling joins the caller's trace.</summary>
    internal System.Diagnostics.ActivityContext Parent { get; }

    internal ReplySink<TReply> Sink => _sink;

    /// <summary>Answers the request with a 200 reply.</summary>
    /// <returns>False when the request already had its answer (the reply is ignored and counted as a duplicate).</returns>
    public bool TryReply(TReply reply) => TryComplete(ReplyOutcome<TReply>.Ok(reply));

    /// <summary>Answers the request with an error: <paramref name="statusCode"/> (4xx or 5xx) and a problem detail saying what was wrong.</summary>
    /// <returns>False when the request already had its answer.</returns>
    public bool TryFail(int statusCode, string detail)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(statusCode, 400);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(statusCode, 599);
        ArgumentException.ThrowIfNullOrEmpty(detail);
        return TryComplete(ReplyOutcome<TReply>.Error(statusCode, statusCode >= 500 ? "Service error" : "Request refused", detail));
    }

    /// <summary>
    /// Passes the request to the same service on another partition (a serving shuffle). That partition's
    /// handler answers it, and the answer still reaches the connection that holds the request.
    /// </summary>
    /// <param name="partition">The partition to hand the request to.</param>
    /// <param name="cancellationToken">Cancels the hand-over.</param>
    /// <exception cref="InvalidOperationException">The request already has its answer.</exception>
    /// <exception cref="HttpRequestException">The other partition could not take the request (unavailable, or its queue is full); the request can still be answered here.</exception>
    public Task ForwardAsync(int partition, CancellationToken cancellationToken = default) =>
        _runtime.ForwardAsync(this, partition, Request, cancellationToken);

    /// <summary>Like <see cref="ForwardAsync(int, CancellationToken)"/>, handing the other partition a different request body.</summary>
    public Task ForwardAsync(int partition, TRequest request, CancellationToken cancellationToken = default) =>
        _runtime.ForwardAsync(this, partition, request, cancellationToken);

    internal bool TryComplete(in ReplyOutcome<TReply> outcome) => TryCompleteFrom(Pending, outcome);

    /// <summary>Completes a forwarded request with the answer relayed back from the partition it went to.</summary>
    internal bool TryCompleteForwarded(in ReplyOutcome<TReply> outcome) => TryCompleteFrom(Forwarded, outcome);

    // The first answer wins: only a request still in the expected state takes it; any later one is counted as a duplicate.
    private bool TryCompleteFrom(int expected, in ReplyOutcome<TReply> outcome)
    {
        if (Interlocked.CompareExchange(ref _state, Replied, expected) != expected)
        {
            _runtime.CountDuplicate();
            return false;
        }

        _runtime.CountReply(this, outcome.Status);
        _sink.Complete(outcome);
        return true;
    }

    bool IRemotelyCompleted.TryCompleteRemote(int status, ReadOnlyMemory<byte> body) =>
        TryCompleteForwarded(ReplyOutcome<TReply>.Raw(status, body));

    /// <summary>Completes the request unless it already has its answer, without counting a duplicate (the host's own fallbacks).</summary>
    internal bool TryCompleteIfPending(in ReplyOutcome<TReply> outcome) =>
        Volatile.Read(ref _state) == Pending && TryComplete(outcome);

    internal bool TryMarkForwarded() => Interlocked.CompareExchange(ref _state, Forwarded, Pending) == Pending;

    internal void UndoForwarded() => Interlocked.CompareExchange(ref _state, Pending, Forwarded);

    /// <summary>The deadline passed: no reply will be accepted any more. False when a reply won the race.</summary>
    internal bool TryExpire()
    {
        var state = Interlocked.CompareExchange(ref _state, Expired, Pending);
        return state == Pending || (state == Forwarded && Interlocked.CompareExchange(ref _state, Expired, Forwarded) == Forwarded);
    }

    /// <summary>Queue-slot bookkeeping: exactly one of dequeue and expiry releases the slot.</summary>
    internal void MarkQueued() => Volatile.Write(ref _queued, 1);

    internal bool TryLeaveQueue() => Interlocked.Exchange(ref _queued, 0) == 1;
}
