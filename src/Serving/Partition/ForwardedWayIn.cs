using Microsoft.AspNetCore.Http;
using Partitioned.Shared;

namespace Partitioned.Serving;

/// <summary>
/// The way in from another partition: <c>POST /control/serving/{name}/forward</c>, a request a handler there handed over
/// (<see cref="ServiceRequest{TRequest, TReply}.ForwardAsync(int, CancellationToken)"/>). It is queued here and answered
/// 202 at once; its answer goes to the <c>replyTo</c> it names, where the client's connection is held.
/// </summary>
internal sealed class ForwardedWayIn<TRequest, TReply>(ServiceProcessor<TRequest, TReply> processor)
{
    private string Name => processor.Name;

    public Task HandleAsync(HttpContext context)
    {
        processor.EnterRoute();
        return processor.LeaveRouteWhenDoneAsync(AcceptAsync(context));
    }

    private async Task AcceptAsync(HttpContext context)
    {
        var arrived = processor.Time.GetTimestamp();
        if (JsonMediaType.Refusal(context.Request.ContentType) is { } refusal)
        {
            await ProblemResponse.WriteAsync(context.Response, StatusCodes.Status415UnsupportedMediaType, "Unsupported media type", refusal).ConfigureAwait(false);
            return;
        }

        var body = await RequestBody.ReadAsync(context.Request, processor.Options.MaxRequestBodySize + 4096, context.RequestAborted).ConfigureAwait(false);
        try
        {
            if (body.TooLarge)
            {
                await ProblemResponse.WriteAsync(context.Response, StatusCodes.Status413PayloadTooLarge, "Request too large", $"The forwarded request is larger than the limit of service '{Name}'.").ConfigureAwait(false);
                return;
            }

            if (!JsonInput.TryParse(body.Memory, ServingWire.ReadForward, out var forward, out var invalid))
            {
                await ProblemResponse.WriteAsync(context.Response, StatusCodes.Status400BadRequest, "Invalid forward", invalid.Describe("forward")).ConfigureAwait(false);
                return;
            }

            var (id, replyTo, requestJson) = forward;
            if (!processor.TryParse(requestJson, out var parsed, out var error))
            {
                await ProblemResponse.WriteAsync(context.Response, StatusCodes.Status400BadRequest, "Invalid request", error, id).ConfigureAwait(false);
                return;
            }

            var feature = processor.Feature;
            var request = processor.NewRequest(id, parsed, new RemoteReplySink<TReply>(replyTo, id, feature.Replies, processor.ReplyType), arrived, TraceContext.Of(context));
            if (!processor.TryEnqueue(request))
            {
                await ProblemResponse.WriteAsync(context.Response, StatusCodes.Status503ServiceUnavailable, "Queue full",
                    $"Service '{Name}' on partition {processor.Partition} cannot take forwarded request {id}: its queue is full.", id, TimeSpan.FromSeconds(1)).ConfigureAwait(false);
                return;
            }

            context.Response.StatusCode = StatusCodes.Status202Accepted;
        }
        finally
        {
            body.Return();
        }
    }
}
