using Microsoft.AspNetCore.Http;
using Partitioned.Shared;

namespace Partitioned.Serving;

/// <summary>
/// The way in from clients: <c>POST /serve/{name}</c> on the partition. The request is parsed and admitted here, and
/// answered on this connection, by the handler or with a clear error (415, 413, 400, 503 when the queue is full, 504
/// at the deadline).
/// </summary>
internal sealed class HttpWayIn<TRequest, TReply>(ServiceProcessor<TRequest, TReply> processor)
{
    // The usual depths as strings made once: the header goes on every answer.
    private static readonly string[] s_small = [.. Enumerable.Range(0, 64).Select(static i => i.ToString(System.Globalization.CultureInfo.InvariantCulture))];

    private string Name => processor.Name;

    private ServiceOptions Options => processor.Options;

    public Task HandleAsync(HttpContext context)
    {
        processor.EnterRoute();
        return processor.LeaveRouteWhenDoneAsync(ServeAsync(context));
    }

    private async Task ServeAsync(HttpContext context)
    {
        var response = context.Response;
        if (Options.Idempotent)
        {
            // Tells the gateway and balancers that a request of this service may be sent again to another replica.
            response.Headers[ServingWire.IdempotentHeader] = "true";
        }

        if (JsonMediaType.Refusal(context.Request.ContentType) is { } refusal)
        {
            await ProblemResponse.RefuseAsync(response, Name, StatusCodes.Status415UnsupportedMediaType, "Unsupported media type", refusal).ConfigureAwait(false);
            return;
        }

        var body = await RequestBody.ReadAsync(context.Request, Options.MaxRequestBodySize, context.RequestAborted).ConfigureAwait(false);
        if (body.TooLarge)
        {
            await ProblemResponse.RefuseAsync(response, Name, StatusCodes.Status413PayloadTooLarge, "Request too large", $"The request body is larger than {Options.MaxRequestBodySize} bytes, the limit of service '{Name}'.").ConfigureAwait(false);
            return;
        }

        TRequest parsed;
        try
        {
            if (!processor.TryParse(body.Span, out parsed, out var error))
            {
                await ProblemResponse.RefuseAsync(response, Name, StatusCodes.Status400BadRequest, "Invalid request", error).ConfigureAwait(false);
                return;
            }
        }
        finally
        {
            body.Return();
        }

        // The deadline counts from here: time spent uploading the body is the client's, not the service's.
        var time = processor.Time;
        var arrived = time.GetTimestamp();
        var sink = new HttpReplySink<TReply>();
        var request = processor.NewRequest(processor.Feature.NextRequestId(), parsed, sink, arrived, TraceContext.Of(context));
        if (!processor.Admit(request))
        {
            response.Headers[ServingWire.QueueHeader] = QueueDepth();
            await ProblemResponse.RefuseAsync(response, Name, StatusCodes.Status503ServiceUnavailable, "Queue full",
                $"Service '{Name}' on partition {processor.Partition} has {Options.QueueCapacity} requests waiting; retry later.", time.GetElapsedTime(arrived), request.Id, TimeSpan.FromSeconds(1)).ConfigureAwait(false);
            return;
        }

        ReplyOutcome<TReply> outcome;
        var reply = sink.Task;
        if (reply.IsCompletedSuccessfully)
        {
            outcome = reply.Result;
        }
        else
        {
            try
            {
                var remaining = Options.Deadline - time.GetElapsedTime(arrived);
                outcome = remaining > TimeSpan.Zero
                    ? await reply.WaitAsync(remaining, time, context.RequestAborted).ConfigureAwait(false)
                    : throw new TimeoutException();
            }
            catch (TimeoutException)
            {
                if (!processor.Expire(request))
                {
                    outcome = await reply.ConfigureAwait(false);
                }
                else
                {
                    await ProblemResponse.RefuseAsync(response, Name, StatusCodes.Status504GatewayTimeout, "Deadline passed",
                        $"Service '{Name}' did not answer request {request.Id} within its deadline of {Options.Deadline.TotalSeconds:0.###} s.", time.GetElapsedTime(arrived), request.Id).ConfigureAwait(false);
                    return;
                }
            }
            catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
            {
                // The client left: nobody is waiting for this answer any more.
                processor.Expire(request);
                return;
            }
        }

        // How many wait behind this answer: routers rank replicas by it (adaptive replica selection).
        response.Headers[ServingWire.QueueHeader] = QueueDepth();
        await WriteAsync(response, outcome, request.Id).ConfigureAwait(false);
    }

    private string QueueDepth()
    {
        var queued = processor.Queued;
        return queued < s_small.Length ? s_small[queued] : queued.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    private Task WriteAsync(HttpResponse response, ReplyOutcome<TReply> outcome, string id)
    {
        if (outcome.IsError)
        {
            return ProblemResponse.WriteAsync(response, outcome.Status, outcome.Title!, outcome.Detail!, id);
        }

        if (!outcome.RawJson.IsEmpty)
        {
            return ProblemResponse.WriteJsonAsync(response, outcome.Status, outcome.RawJson);
        }

        return response.WriteAsJsonAsync(outcome.Value!, processor.ReplyType);
    }
}
