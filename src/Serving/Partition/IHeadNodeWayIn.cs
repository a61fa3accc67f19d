namespace Partitioned.Serving;

/// <summary>A service's way in from the head node, as its transports drive it (the non-generic face of <see cref="HeadNodeWayIn{TRequest, TReply}"/>).</summary>
internal interface IHeadNodeWayIn
{
    string Name { get; }

    /// <summary>
    /// How many more requests the transport should take now: enough to keep every handler slot busy (and the next
    /// batch ready), no more, so work is spread over partitions and a dying attempt holds little.
    /// </summary>
    int PullRoom { get; }

    /// <summary>Completes when <see cref="PullRoom"/> may have grown (a request finished).</summary>
    Task WaitForPullRoomAsync(CancellationToken cancellationToken);

    /// <summary>Completes when a request finished and so freed room (arm it before reading <see cref="PullRoom"/>).</summary>
    Task RoomFreed { get; }

    /// <summary>Answers to head-node requests, waiting for the transport's next message.</summary>
    HeadNodeOutbox Outbox { get; }

    /// <summary>Takes a batch from the head node; a body that does not bind is answered 400 at once.</summary>
    void Accept(IReadOnlyList<WireRequest> batch, Uri replyTo);
}
