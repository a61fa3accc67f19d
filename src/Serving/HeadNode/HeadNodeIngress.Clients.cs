using Microsoft.AspNetCore.Http;
using Partitioned.Shared;

namespace Partitioned.Serving;

internal sealed partial class HeadNodeIngress
{
    /// <summary><c>POST /serve/{name}</c> from a client: queue it, hold the connection, answer with what a partition sends back.</summary>
    private async Task ServeAsync(HttpContext context)
    {
        var arrived = _time.GetTimestamp();
        var name = (string)context.Request.RouteValues["name"]!;
        var response = context.Response;
        if (!SafeName.IsValid(name))
        {
            await ProblemResponse.NotAServiceNameAsync(response, name).ConfigureAwait(false);
            return;
        }

        if (Volatile.Read(ref _stopping))
        {
            await ProblemResponse.WriteAsync(response, StatusCodes.Status503ServiceUnavailable, "Head node stopping",
                "The head node is stopping: it answers what it accepted and takes nothing new.", retryAfter: TimeSpan.FromSeconds(1)).ConfigureAwait(false);
            return;
        }

        if (!_queues.TryGetValue(name, out var queue))
        {
            await ProblemResponse.WriteAsync(response, StatusCodes.Status404NotFound, "Unknown service",
                $"The head node takes no service named '{name}'. Services: {string.Join(", ", _queues.Keys.Order(StringComparer.Ordinal))}.").ConfigureAwait(false);
            return;
        }

        if (JsonMediaType.Refusal(context.Request.ContentType) is { } refusal)
        {
            await ProblemResponse.RefuseAsync(response, name, StatusCodes.Status415UnsupportedMediaType, "Unsupported media type", refusal).ConfigureAwait(false);
            return;
        }

        var body = await RequestBody.ReadAsync(context.Request, _options.MaxRequestBodySize, context.RequestAborted).ConfigureAwait(false);
        byte[] copy;
        try
        {
            if (body.TooLarge)
            {
                await ProblemResponse.RefuseAsync(response, name, StatusCodes.Status413PayloadTooLarge, "Request too large", $"The request body is larger than the head node's limit of {_options.MaxRequestBodySize} bytes.").ConfigureAwait(false);
                return;
            }

            // Malformed JSON is refused here, without a round trip to a partition. Binding to the request type (and with
            // it the check of every string's text) happens there, in the one place bodies become typed values.
            if (!JsonInput.IsWellFormed(body.Span, out var error))
            {
                await ProblemResponse.RefuseAsync(response, name, StatusCodes.Status400BadRequest, "Invalid request", error.Describe("request body")).ConfigureAwait(false);
                return;
            }

            copy = body.Span.ToArray();
        }
        finally
        {
            body.Return();
        }

        if (_directory is not { Current.ServingCount: > 0 })
        {
            await ProblemResponse.RefuseAsync(response, name, StatusCodes.Status503ServiceUnavailable, "No partition is live",
                "Every partition is lost, failed, stopped or not yet registered; retry later.", retryAfter: TimeSpan.FromSeconds(1)).ConfigureAwait(false);
            return;
        }

        // The request's span at the ingress, until its answer: a partition's handling is its child, across processes.
        using var activity = ServingMetrics.Activities.StartActivity("serve.ingress", System.Diagnostics.ActivityKind.Server, TraceContext.Of(context));
        activity?.SetTag(ServingTelemetry.ServiceAttribute, name);
        var request = new IngressRequest(NextId(), name, copy, arrived, TraceContext.Format(activity?.Context ?? TraceContext.Of(context)));
        bool queued;
        lock (_gate)
        {
            queued = queue.TryEnqueue(request);
            if (queued)
            {
                _pending.Add(request.Id, request);
            }
        }

        if (!queued)
        {
            await ProblemResponse.RefuseAsync(response, name, StatusCodes.Status503ServiceUnavailable, "Queue full",
                $"The head node has {_options.QueueCapacity} requests waiting for service '{name}'; retry later.", retryAfter: TimeSpan.FromSeconds(1)).ConfigureAwait(false);
            return;
        }

        ServingMetrics.Requests.Add(1, ServingMetrics.Service(name));
        ServingMetrics.QueuedRequests.Add(1, ServingMetrics.Service(name));
        // The deadline is enforced by the sweeper (one timer for all requests), which answers 504 through the same task.
        WireReply reply;
        try
        {
            reply = await request.Reply.WaitAsync(context.RequestAborted).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client left: nobody waits for the answer any more.
            Abandon(request);
            return;
        }

        ServingMetrics.CountReply(name, reply.Status, _time.GetElapsedTime(arrived));
        await ProblemResponse.WriteJsonAsync(response, reply.Status, reply.Body, context.RequestAborted).ConfigureAwait(false);
    }

    /// <summary>The client's wait ended (deadline or gone): take the request out of the queue and the pending set. False if an answer won the race.</summary>
    private bool Abandon(IngressRequest request)
    {
        lock (_gate)
        {
            if (request.State == IngressRequest.Done || request.Reply.IsCompleted)
            {
                return false;
            }

            Retire(request);
            return true;
        }
    }

    /// <summary>Takes a request out of its queue (if it waits there) and the pending set, for good. The caller holds <c>_gate</c>.</summary>
    private void Retire(IngressRequest request)
    {
        if (request.State == IngressRequest.Waiting)
        {
            _queues[request.Service].Remove(request);
            ServingMetrics.QueuedRequests.Add(-1, ServingMetrics.Service(request.Service));
        }

        request.State = IngressRequest.Done;
        _pending.Remove(request.Id);
    }
}
