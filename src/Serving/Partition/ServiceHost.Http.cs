using System.Diagnostics;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Partitioned.Shared;

namespace Partitioned.Serving;

internal sealed partial class ServiceHost<TRequest, TReply>
{
    /// <summary><c>POST /serve/{name}</c>: the request is answered on this connection, by the handler or with a clear error.</summary>
    public Task HandleHttpAsync(HttpContext context)
    {
        Interlocked.Increment(ref _inHttp);
        return LeaveRouteWhenDoneAsync(ServeHttpAsync(context));
    }

    /// <summary><c>POST /control/serving/{name}/forward</c>: a request another partition handed over; the answer goes to its <c>replyTo</c>.</summary>
    public Task HandleForwardedAsync(HttpContext context)
    {
        Interlocked.Increment(ref _inHttp);
        return LeaveRouteWhenDoneAsync(AcceptForwardedAsync(context));
    }

    // The count a stop waits on (requests inside this service's routes, some still uploading their body).
    private async Task LeaveRouteWhenDoneAsync(Task route)
    {
        try
        {
            await route.ConfigureAwait(false);
        }
        finally
        {
            Interlocked.Decrement(ref _inHttp);
        }
    }

    private async Task ServeHttpAsync(HttpContext context)
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
            if (!TryParse(body.Span, out parsed, out var error))
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
        var arrived = _time.GetTimestamp();
        var sink = new HttpReplySink<TReply>();
        var request = NewRequest(_feature.NextRequestId(), parsed, sink, arrived, TraceContext.Of(context));
        if (!Admit(request))
        {
            await ProblemResponse.RefuseAsync(response, Name, StatusCodes.Status503ServiceUnavailable, "Queue full",
                $"Service '{Name}' on partition {_feature.Context.Partition} has {Options.QueueCapacity} requests waiting; retry later.", _time.GetElapsedTime(arrived), request.Id, TimeSpan.FromSeconds(1)).ConfigureAwait(false);
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
                var remaining = Options.Deadline - _time.GetElapsedTime(arrived);
                outcome = remaining > TimeSpan.Zero
                    ? await reply.WaitAsync(remaining, _time, context.RequestAborted).ConfigureAwait(false)
                    : throw new TimeoutException();
            }
            catch (TimeoutException)
            {
                if (!Expire(request))
                {
                    outcome = await reply.ConfigureAwait(false);
                }
                else
                {
                    await ProblemResponse.RefuseAsync(response, Name, StatusCodes.Status504GatewayTimeout, "Deadline passed",
                        $"Service '{Name}' did not answer request {request.Id} within its deadline of {Options.Deadline.TotalSeconds:0.###} s.", _time.GetElapsedTime(arrived), request.Id).ConfigureAwait(false);
                    return;
                }
            }
            catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
            {
                // The client left: nobody is waiting for this answer any more.
                Expire(request);
                return;
            }
        }

        await WriteAsync(response, outcome, request.Id).ConfigureAwait(false);
    }

    private async Task AcceptForwardedAsync(HttpContext context)
    {
        var arrived = _time.GetTimestamp();
        if (JsonMediaType.Refusal(context.Request.ContentType) is { } refusal)
        {
            await ProblemResponse.WriteAsync(context.Response, StatusCodes.Status415UnsupportedMediaType, "Unsupported media type", refusal).ConfigureAwait(false);
            return;
        }

        var body = await RequestBody.ReadAsync(context.Request, Options.MaxRequestBodySize + 4096, context.RequestAborted).ConfigureAwait(false);
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
            if (!TryParse(requestJson, out var parsed, out var error))
            {
                await ProblemResponse.WriteAsync(context.Response, StatusCodes.Status400BadRequest, "Invalid request", error, id).ConfigureAwait(false);
                return;
            }

            var request = NewRequest(id, parsed, new RemoteReplySink<TReply>(replyTo, id, _feature.Replies, _replyType), arrived, TraceContext.Of(context));
            if (!TryEnqueue(request))
            {
                await ProblemResponse.WriteAsync(context.Response, StatusCodes.Status503ServiceUnavailable, "Queue full",
                    $"Service '{Name}' on partition {_feature.Context.Partition} cannot take forwarded request {id}: its queue is full.", id, TimeSpan.FromSeconds(1)).ConfigureAwait(false);
                return;
            }

            context.Response.StatusCode = StatusCodes.Status202Accepted;
        }
        finally
        {
            body.Return();
        }
    }

    /// <summary>
    /// Takes a batch pulled from the head node. Every request but the last is queued, so free handler slots share the
    /// batch; the last is admitted, so with a slot free it runs on the puller's thread without a hand-off. Each request
    /// is taken on its own: whatever goes wrong with one (a body that does not bind, a converter that throws) is that
    /// request's answer, and the rest of the batch is still taken.
    /// </summary>
    public void AcceptPulled(IReadOnlyList<WireRequest> batch, Uri replyTo)
    {
        for (var i = 0; i < batch.Count; i++)
        {
            var pulled = batch[i];
            var sink = new RemoteReplySink<TReply>(replyTo, pulled.Id, Outbox, _replyType);
            ServiceRequest<TRequest, TReply>? request = null;
            try
            {
                AcceptPulled(pulled, sink, last: i == batch.Count - 1, ref request);
            }
            catch (Exception ex)
            {
                Log.PulledRequestFailed(_logger, Name, pulled.Id, ex);
                var failure = ReplyOutcome<TReply>.Error(StatusCodes.Status500InternalServerError, "Request not taken",
                    $"Partition {_feature.Context.Partition} could not take request {pulled.Id} of service '{Name}' ({ex.GetType().Name}); the partition's log has the details under that id.");
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

    private void AcceptPulled(WireRequest pulled, RemoteReplySink<TReply> sink, bool last, ref ServiceRequest<TRequest, TReply>? request)
    {
        var arrived = _time.GetTimestamp();
        if (!TryParse(pulled.Body.Span, out var parsed, out var error))
        {
            ServingMetrics.CountReply(Name, StatusCodes.Status400BadRequest, null);
            sink.Complete(ReplyOutcome<TReply>.Error(StatusCodes.Status400BadRequest, "Invalid request", error));
            return;
        }

        request = NewRequest(pulled.Id, parsed, sink, arrived, TraceContext.Parse(pulled.TraceParent));
        if (!(last ? Admit(request) : TryEnqueue(request)))
        {
            // The puller asks only for what fits; a full queue here means a race with direct traffic.
            request.TryCompleteIfPending(ReplyOutcome<TReply>.Error(StatusCodes.Status503ServiceUnavailable, "Queue full", $"Service '{Name}' on partition {_feature.Context.Partition} had no room for request {pulled.Id}."));
        }
    }

    /// <summary>Forwards a request to the same service on another partition; the answer travels straight to where the request is held.</summary>
    public async Task ForwardAsync(ServiceRequest<TRequest, TReply> request, int partition, TRequest body, CancellationToken cancellationToken)
    {
        var origin = request.Sink.RemoteOrigin;
        var (replyTo, originId) = origin ?? (_feature.RepliesAddress, request.Id);
        if (!request.TryMarkForwarded())
        {
            throw new InvalidOperationException($"Request {request.Id} already has its answer; it cannot be forwarded.");
        }

        // Held here: remember it, so the answer relayed back finds its connection.
        if (origin is null)
        {
            _feature.AwaitRemoteReply(request.Id, request);
        }

        try
        {
            var forward = ServingWire.WriteForward(originId, replyTo, JsonSerializer.SerializeToUtf8Bytes(body, _requestType));
            await _feature.Router.ForwardAsync(partition, Name, forward, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            _feature.ForgetRemoteReply(request.Id);
            request.UndoForwarded();
            throw;
        }
    }

    /// <summary>The request body as a <typeparamref name="TRequest"/>, through the one reader of client JSON; the error names the problem.</summary>
    private bool TryParse(ReadOnlySpan<byte> json, out TRequest request, out string error)
    {
        if (JsonInput.TryRead(json, _requestType, out request!, out var problem))
        {
            error = string.Empty;
            return true;
        }

        error = problem.Describe("request body");
        return false;
    }

    /// <summary>The deadline passed or the client left: refuse later answers and give back a queue slot still held.</summary>
    private bool Expire(ServiceRequest<TRequest, TReply> request)
    {
        if (!request.TryExpire())
        {
            return false;
        }

        LeaveQueue(request);
        _feature.ForgetRemoteReply(request.Id);
        return true;
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

        return response.WriteAsJsonAsync(outcome.Value!, _replyType);
    }
}
