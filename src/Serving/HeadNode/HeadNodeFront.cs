using Microsoft.AspNetCore.Http;
using Partitioned.Coordination;
using Partitioned.Shared;

namespace Partitioned.Serving;

/// <summary>
/// The head node's client front: <c>POST /serve/{name}</c>. A request is checked (name, media type, size, well-formed
/// JSON), queued in <see cref="PendingRequests"/>, and its connection held until the answer a partition sends back, or
/// 504 at the deadline. Once <see cref="StopTaking"/> was called, new requests get 503 while accepted ones are answered.
/// </summary>
internal sealed class HeadNodeFront(PendingRequests requests, ServingOptions options, TimeProvider time)
{
    private PartitionDirectory? _directory;
    private bool _stopping;
    private long _nextId;

    /// <summary>Partitions of the cluster with <paramref name="directory"/> serve the requests: none live, the front answers 503.</summary>
    public void Attach(PartitionDirectory directory) => _directory = directory;

    /// <summary>From now on new requests get 503; accepted ones are still answered.</summary>
    public void StopTaking() => Volatile.Write(ref _stopping, true);

    public async Task ServeAsync(HttpContext context)
    {
        var arrived = time.GetTimestamp();
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

        if (!requests.Takes(name))
        {
            await ProblemResponse.WriteAsync(response, StatusCodes.Status404NotFound, "Unknown service",
                $"The head node takes no service named '{name}'. Services: {string.Join(", ", requests.Services.Order(StringComparer.Ordinal))}.").ConfigureAwait(false);
            return;
        }

        if (JsonMediaType.Refusal(context.Request.ContentType) is { } refusal)
        {
            await ProblemResponse.RefuseAsync(response, name, StatusCodes.Status415UnsupportedMediaType, "Unsupported media type", refusal).ConfigureAwait(false);
            return;
        }

        var body = await RequestBody.ReadAsync(context.Request, options.MaxRequestBodySize, context.RequestAborted).ConfigureAwait(false);
        byte[] copy;
        try
        {
            if (body.TooLarge)
            {
                await ProblemResponse.RefuseAsync(response, name, StatusCodes.Status413PayloadTooLarge, "Request too large", $"The request body is larger than the head node's limit of {options.MaxRequestBodySize} bytes.").ConfigureAwait(false);
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

        // The request's span at the head node, until its answer: a partition's handling is its child, across processes.
        using var activity = ServingMetrics.Activities.StartActivity("serve.ingress", System.Diagnostics.ActivityKind.Server, TraceContext.Of(context));
        activity?.SetTag(ServingTelemetry.ServiceAttribute, name);
        var request = new HeadNodeRequest(NextId(), name, copy, arrived, TraceContext.Format(activity?.Context ?? TraceContext.Of(context)));
        if (!requests.TryAdd(request))
        {
            await ProblemResponse.RefuseAsync(response, name, StatusCodes.Status503ServiceUnavailable, "Queue full",
                $"The head node has {options.QueueCapacity} requests waiting for service '{name}'; retry later.", retryAfter: TimeSpan.FromSeconds(1)).ConfigureAwait(false);
            return;
        }

        ServingMetrics.Requests.Add(1, ServingMetrics.Service(name));

        // The deadline is enforced by the sweeper (one timer for all requests), which answers 504 through the same task.
        WireReply reply;
        try
        {
            reply = await request.Reply.WaitAsync(context.RequestAborted).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client left: nobody waits for the answer any more.
            requests.Abandon(request);
            return;
        }

        ServingMetrics.CountReply(name, reply.Status, time.GetElapsedTime(arrived));
        await ProblemResponse.WriteJsonAsync(response, reply.Status, reply.Body, context.RequestAborted).ConfigureAwait(false);
    }

    private string NextId() => "h." + Interlocked.Increment(ref _nextId).ToString(System.Globalization.CultureInfo.InvariantCulture);
}
