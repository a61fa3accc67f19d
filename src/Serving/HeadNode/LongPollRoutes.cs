using System.Buffers;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Partitioned.Coordination;
using Partitioned.Shared;

namespace Partitioned.Serving;

/// <summary>
/// The head node's HTTP transport, on the coordinator's token-protected <c>/v1</c> group (for partitions that speak
/// HTTP/1.1 only, <see cref="HeadNodeTransport.HttpLongPoll"/>): <c>POST /v1/serving/{service}/pull</c> hands an attempt
/// a batch of waiting requests (a long poll, its body carrying the answers of the previous batch), and
/// <c>POST /v1/serving/replies</c> takes answers sent on their own, under either transport.
/// </summary>
internal sealed class LongPollRoutes(PendingRequests requests, TimeProvider time)
{
    private static readonly TimeSpan s_longPoll = TimeSpan.FromSeconds(5);

    public void Map(IEndpointRouteBuilder v1)
    {
        // Delegate (not RequestDelegate) handlers, so the group's token filter runs on them.
        v1.MapPost("/serving/{service}/pull", (Delegate)PullAsync);
        v1.MapPost("/serving/replies", (Delegate)RepliesAsync);
    }

    /// <summary>
    /// <c>POST /v1/serving/{service}/pull</c>: hands a partition attempt up to <c>max</c> waiting requests, waiting up to
    /// a few seconds for one to arrive (204 if none). A stale attempt gets 409 and no work, a lost one 503.
    /// </summary>
    private async Task PullAsync(HttpContext context)
    {
        var service = (string)context.Request.RouteValues["service"]!;
        if (!SafeName.IsValid(service))
        {
            await ProblemResponse.NotAServiceNameAsync(context.Response, service).ConfigureAwait(false);
            return;
        }

        if (!requests.Takes(service))
        {
            await ProblemResponse.WriteAsync(context.Response, StatusCodes.Status404NotFound, "Unknown service", $"The head node takes no service named '{service}'.").ConfigureAwait(false);
            return;
        }

        if (JsonMediaType.Refusal(context.Request.ContentType) is { } refusal)
        {
            await ProblemResponse.WriteAsync(context.Response, StatusCodes.Status415UnsupportedMediaType, "Unsupported media type", refusal).ConfigureAwait(false);
            return;
        }

        (PullRequest Ask, List<WireReply> Replies) pull;
        var body = await RequestBody.ReadAsync(context.Request, RequestBody.InternalLimit, context.RequestAborted).ConfigureAwait(false);
        try
        {
            if (body.TooLarge)
            {
                await ProblemResponse.WriteAsync(context.Response, StatusCodes.Status413PayloadTooLarge, "Pull too large", $"A pull with its replies may be at most {RequestBody.InternalLimit} bytes.").ConfigureAwait(false);
                return;
            }

            if (!JsonInput.TryParse(body.Memory, ServingWire.ReadPull, out pull, out var error))
            {
                await ProblemResponse.WriteAsync(context.Response, StatusCodes.Status400BadRequest, "Invalid pull", error.Describe("pull")).ConfigureAwait(false);
                return;
            }
        }
        finally
        {
            body.Return();
        }

        // The answers of the previous batch come first: their clients have waited longest.
        var ask = pull.Ask;
        requests.Complete(pull.Replies, new ReplyFrom(ask.Partition, ask.Attempt));

        var directory = context.RequestServices.GetRequiredService<PartitionDirectory>();
        if ((uint)ask.Partition >= (uint)directory.Current.PartitionCount || ask.Max < 1)
        {
            await ProblemResponse.WriteAsync(context.Response, StatusCodes.Status400BadRequest, "Invalid pull", $"partition must be 0 to {directory.Current.PartitionCount - 1} and max at least 1.").ConfigureAwait(false);
            return;
        }

        var waitUntil = time.GetTimestamp() + (long)(s_longPoll.TotalSeconds * time.TimestampFrequency);
        while (true)
        {
            var (standing, taken, arrival) = requests.TakeForPull(service, directory, ask.Partition, ask.Attempt, ask.Max);
            if (standing == AttemptStanding.Fenced)
            {
                await ProblemResponse.WriteAsync(context.Response, StatusCodes.Status409Conflict, "Stale attempt",
                    $"Attempt {ask.Attempt} of partition {ask.Partition} is stale; a newer attempt exists, or its replica ended.").ConfigureAwait(false);
                return;
            }

            if (standing == AttemptStanding.Lost)
            {
                await ProblemResponse.WriteAsync(context.Response, StatusCodes.Status503ServiceUnavailable, "Attempt lost",
                    $"Attempt {ask.Attempt} of partition {ask.Partition} was declared lost; it takes no work until it answers health checks again.", retryAfter: TimeSpan.FromSeconds(1)).ConfigureAwait(false);
                return;
            }

            if (taken.Count > 0)
            {
                await DeliverAsync(context, taken, ask).ConfigureAwait(false);
                return;
            }

            var remaining = time.GetElapsedTime(time.GetTimestamp(), waitUntil);
            if (remaining <= TimeSpan.Zero || context.RequestAborted.IsCancellationRequested
                || !await HeadNodeQueue.WaitAsync(arrival, remaining, time, context.RequestAborted).ConfigureAwait(ConfigureAwaitOptions.None))
            {
                if (!context.RequestAborted.IsCancellationRequested)
                {
                    context.Response.StatusCode = StatusCodes.Status204NoContent;
                }

                return;
            }

            // Woken by an arrival: let requests that arrive at the same moment join this batch (a thread-pool turn,
            // far shorter than any timer), so idle partitions do not each carry one request per round trip.
            await Task.Yield();
        }
    }

    private async Task DeliverAsync(HttpContext context, List<HeadNodeRequest> taken, PullRequest ask)
    {
        try
        {
            var buffer = new ArrayBufferWriter<byte>(taken.Sum(static r => r.Body.Length + 32) + 32);
            ServingWire.WriteRequests(buffer, [.. taken.Select(static r => new WireRequest(r.Id, r.Body, r.TraceParent))]);
            context.Response.StatusCode = StatusCodes.Status200OK;
            context.Response.ContentType = "application/json";
            await context.Response.Body.WriteAsync(buffer.WrittenMemory, context.RequestAborted).ConfigureAwait(false);
            await context.Response.CompleteAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException)
        {
            // The partition went away before it got the batch: nobody holds these requests.
            requests.ReturnUndelivered(taken, ask.Partition, ask.Attempt);
        }
    }

    /// <summary><c>POST /v1/serving/replies</c>: answers from partitions, heard as <see cref="PendingRequests.Complete"/> says.</summary>
    private Task RepliesAsync(HttpContext context) =>
        RepliesRoute.HandleAsync(context, replies => requests.Complete(replies, ReplyFrom.Parse(context.Request.Headers[ServingWire.AttemptHeader])));
}
