using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Partitioned.Serving;

/// <summary>
/// The way in from the head node, whichever transport carries it (<see cref="HeadNodeLongPoll"/> or
/// <see cref="HeadNodeStream"/>): batches of requests the head node handed this attempt, taken into the service's queue,
/// and their answers put in the <see cref="Outbox"/> to ride up with the transport's next message.
/// </summary>
internal sealed partial class HeadNodeWayIn<TRequest, TReply>(ServiceProcessor<TRequest, TReply> processor) : IHeadNodeWayIn
{
    public string Name => processor.Name;

    public int PullRoom => processor.PullRoom;

    public Task WaitForPullRoomAsync(CancellationToken cancellationToken) => processor.WaitForPullRoomAsync(cancellationToken);

    public Task RoomFreed => processor.RoomFreed;

    public HeadNodeOutbox Outbox { get; private set; } = null!;

    public void Start(ServingFeature feature) => Outbox = new HeadNodeOutbox(feature.Replies);

    /// <summary>
    /// Takes a batch from the head node. Every request but the last is queued, so free handler slots share the
    /// batch; the last is admitted, so with a slot free it runs on the transport's thread without a hand-off. Each request
    /// is taken on its own: whatever goes wrong with one (a body that does not bind, a converter that throws) is that
    /// request's answer, and the rest of the batch is still taken.
    /// </summary>
    public void Accept(IReadOnlyList<WireRequest> batch, Uri replyTo)
    {
        for (var i = 0; i < batch.Count; i++)
        {
            var pulled = batch[i];
            var sink = new RemoteReplySink<TReply>(replyTo, pulled.Id, Outbox, processor.ReplyType);
            ServiceRequest<TRequest, TReply>? request = null;
            try
            {
                Accept(pulled, sink, last: i == batch.Count - 1, ref request);
            }
            catch (Exception ex)
            {
                Log.PulledRequestFailed(processor.Logger, Name, pulled.Id, ex);
                var failure = ReplyOutcome<TReply>.Error(StatusCodes.Status500InternalServerError, "Request not taken",
                    $"Partition {processor.Partition} could not take request {pulled.Id} of service '{Name}' ({ex.GetType().Name}); the partition's log has the details under that id.");
                if (request is null)
                {
                    ServingMetrics.CountReply(Name, StatusCodes.Status500InternalServerError, null);
                    sink.Complete(failure);
                }
                else
                {
                    // Through the request: it may be queued already, and its answer must still be the only one.
                    request.TryCompleteIfPending(failure);
                }
            }
        }
    }

    private void Accept(WireRequest pulled, RemoteReplySink<TReply> sink, bool last, ref ServiceRequest<TRequest, TReply>? request)
    {
        var arrived = processor.Time.GetTimestamp();
        if (!processor.TryParse(pulled.Body.Span, out var parsed, out var error))
        {
            ServingMetrics.CountReply(Name, StatusCodes.Status400BadRequest, null);
            sink.Complete(ReplyOutcome<TReply>.Error(StatusCodes.Status400BadRequest, "Invalid request", error));
            return;
        }

        request = processor.NewRequest(pulled.Id, parsed, sink, arrived, TraceContext.Parse(pulled.TraceParent));
        if (!(last ? processor.Admit(request) : processor.TryEnqueue(request)))
        {
            // The transport asks only for what fits; a full queue here means a race with direct traffic.
            request.TryCompleteIfPending(ReplyOutcome<TReply>.Error(StatusCodes.Status503ServiceUnavailable, "Queue full", $"Service '{Name}' on partition {processor.Partition} had no room for request {pulled.Id}."));
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 402, Level = LogLevel.Error, Message = "Service '{Service}': request {RequestId} from the head node could not be taken; it was answered 500, the rest of its batch was taken.")]
        public static partial void PulledRequestFailed(ILogger logger, string service, string requestId, Exception exception);
    }
}
