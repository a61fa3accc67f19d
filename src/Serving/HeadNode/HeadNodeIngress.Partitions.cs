using System.Buffers;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Partitioned.Coordination;
using Partitioned.Shared;

namespace Partitioned.Serving;

internal sealed partial class HeadNodeIngress
{
    /// <summary>
    /// <c>POST /v1/serving/{service}/pull</c>: hands a partition attempt up to <c>max</c> waiting requests, waiting up to
    /// a few seconds for one to arrive (204 if none). A stale attempt gets 409 and no work.
    /// </summary>
    private async Task PullAsync(HttpContext context)
    {
        var service = (string)context.Request.RouteValues["service"]!;
        if (!SafeName.IsValid(service))
        {
            await ProblemResponse.NotAServiceNameAsync(context.Response, service).ConfigureAwait(false);
            return;
        }

        if (!_queues.TryGetValue(service, out var queue))
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

        // The answers of the puller's previous batch come first: their clients have waited longest.
        var ask = pull.Ask;
        CompleteReplies(pull.Replies, new ReplyFrom(ask.Partition, ask.Attempt));

        var directory = context.RequestServices.GetRequiredService<PartitionDirectory>();
        if ((uint)ask.Partition >= (uint)directory.Current.PartitionCount || ask.Max < 1)
        {
            await ProblemResponse.WriteAsync(context.Response, StatusCodes.Status400BadRequest, "Invalid pull", $"partition must be 0 to {directory.Current.PartitionCount - 1} and max at least 1.").ConfigureAwait(false);
            return;
        }

        var waitUntil = _time.GetTimestamp() + (long)(s_longPoll.TotalSeconds * _time.TimestampFrequency);
        while (true)
        {
            List<IngressRequest> taken;
            Task arrival;
            AttemptStanding standing;
            lock (_gate)
            {
                // Checked under the lock that replays take too: a loss declared after this check replays whatever this
                // pull takes, and one declared before it makes this pull take nothing.
                standing = Standing(directory.Current, ask.Partition, ask.Attempt);
                taken = standing != AttemptStanding.Current ? [] : queue.Take(ask.Max);
                foreach (var request in taken)
                {
                    request.State = IngressRequest.Held;
                    request.HeldByPartition = ask.Partition;
                    request.HeldByAttempt = ask.Attempt;
                }

                arrival = queue.Arrival;
            }

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
                ServingMetrics.QueuedRequests.Add(-taken.Count, ServingMetrics.Service(service));
                await DeliverAsync(context, taken, ask).ConfigureAwait(false);
                return;
            }

            var remaining = _time.GetElapsedTime(_time.GetTimestamp(), waitUntil);
            if (remaining <= TimeSpan.Zero || context.RequestAborted.IsCancellationRequested
                || !await IngressQueue.WaitAsync(arrival, remaining, _time, context.RequestAborted).ConfigureAwait(ConfigureAwaitOptions.None))
            {
                if (!context.RequestAborted.IsCancellationRequested)
                {
                    context.Response.StatusCode = StatusCodes.Status204NoContent;
                }

                return;
            }

            // Woken by an arrival: let requests that arrive at the same moment join this batch (a thread-pool turn,
            // far shorter than any timer), so idle pullers do not each carry one request per round trip.
            await Task.Yield();
        }
    }

    private async Task DeliverAsync(HttpContext context, List<IngressRequest> taken, PullRequest ask)
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
            // The puller went away before it got the batch: nobody holds these requests.
            Log.PullAborted(_logger, ask.Partition, ask.Attempt, taken.Count);
            Requeue(taken);
        }
    }

    /// <summary>
    /// Hands answers to the connections waiting for them; the first answer to a request wins. An answer counts from the
    /// attempt holding the request, or from any attempt in good standing (a partition a request was forwarded to
    /// answers it too); never from an attempt declared lost or fenced: one whose requests were replayed and that came
    /// back (a node cut off, then healed) has its late answers counted and ignored, as is any second answer. A peer that
    /// does not say who it is (no <c>Partitioned-Attempt</c> header) is heard as before: first answer wins.
    /// </summary>
    private void CompleteReplies(List<WireReply> replies, ReplyFrom? from)
    {
        var snapshot = _directory?.Current;
        var heard = from is not { } sender || snapshot is null || (uint)sender.Partition >= (uint)snapshot.PartitionCount
            || Standing(snapshot, sender.Partition, sender.Attempt) is AttemptStanding.Current or AttemptStanding.Suspected;
        foreach (var reply in replies)
        {
            IngressRequest? request;
            lock (_gate)
            {
                if (_pending.TryGetValue(reply.Id, out request)
                    && (heard || (request.State == IngressRequest.Held && request.HeldByPartition == from!.Value.Partition && request.HeldByAttempt == from.Value.Attempt)))
                {
                    Retire(request);
                }
                else
                {
                    request = null;
                }
            }

            if (request is null || !request.TryComplete(reply))
            {
                ServingMetrics.DuplicateReplies.Add(1, ServingMetrics.Service(request?.Service ?? "unknown"));
                Log.Duplicate(_logger, reply.Id, from?.Partition ?? -1, from?.Attempt ?? -1);
            }
        }
    }

    /// <summary><c>POST /v1/serving/replies</c>: answers from partitions, heard as <see cref="CompleteReplies"/> says.</summary>
    private Task RepliesAsync(HttpContext context) =>
        RepliesRoute.HandleAsync(context, replies => CompleteReplies(replies, ReplyFrom.Parse(context.Request.Headers[ServingWire.AttemptHeader])));
}
