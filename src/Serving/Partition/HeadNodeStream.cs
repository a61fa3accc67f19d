using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.Extensions.Logging;
using V1 = Partitioned.Protocol.V1;

namespace Partitioned.Serving;

/// <summary>
/// Head-node mode, partition side, over gRPC: one bidi stream per service to the head node. Grants credit for the room
/// the service has (no more: a dying attempt holds little), takes the requests that come down against it, and sends
/// the answers up as they are ready. On a broken stream, answers waiting go by HTTP to the coordinator (as with long
/// polls), and the stream is opened again with backoff; a refused stream (stale attempt, unknown service) ends it.
/// </summary>
internal sealed partial class HeadNodeStream(ServingFeature feature, GrpcChannel channel, string streamKey, ILogger logger)
{
    // How long a stopping partition waits for the head node to end its stream after it closed its own side.
    private static readonly TimeSpan s_closeGrace = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Holds the service's stream until <paramref name="cancellationToken"/> (the partition stopping). Then the stream is
    /// closed gracefully: no more credit, the waiting answers sent, its side completed, and the head node's side read
    /// to its end (bounded). Cancelling the call instead would reset the stream and could lose answers already written,
    /// which the head node would then replay: a handler would run twice.
    /// </summary>
    public async Task RunAsync(IHeadNodeWayIn service, CancellationToken cancellationToken)
    {
        var replyTo = new Uri(feature.Context.Coordinator, "v1/serving/replies");
        var backoff = HeadNodeLink.NewBackoff();
        var client = new V1.HeadNode.HeadNodeClient(channel);
        var headers = new Metadata { { "authorization", "Bearer " + streamKey } };

        // While no stream is open, answers go straight to the coordinator by HTTP (the outbox's pull-under-way mode),
        // so an answer is never left waiting for a stream that may not come back (the head node stopping, say).
        var direct = false;
        while (!cancellationToken.IsCancellationRequested)
        {
            // The call itself is cancelled only if the graceful close does not end it in time.
            using var hard = new CancellationTokenSource();
            using var graceOnStop = cancellationToken.Register(static state => ((CancellationTokenSource)state!).CancelAfter(s_closeGrace), hard);
            try
            {
                using var call = client.Serve(headers, cancellationToken: hard.Token);
                await StreamAsync(call, service, replyTo, () =>
                {
                    if (direct)
                    {
                        service.Outbox.EndPull();
                        direct = false;
                    }
                }, cancellationToken, hard.Token).ConfigureAwait(false);
                backoff.Reset();
            }
            catch (RpcException ex) when (ex.StatusCode is StatusCode.FailedPrecondition or StatusCode.NotFound or StatusCode.PermissionDenied or StatusCode.Unauthenticated or StatusCode.InvalidArgument)
            {
                // A newer attempt of this partition exists, or the head node no longer takes this service.
                Log.StreamRefused(logger, service.Name, ex.Status.Detail);
                return;
            }
            catch (Exception) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // Whatever went wrong, open it again: a partition without its stream would serve nothing.
                Log.StreamFailed(logger, service.Name, ex.Message);
                await Task.Delay(backoff.Next(), cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
            finally
            {
                // Answers the stream could not carry go on their own: those waiting now (BeginPull hands them over as it
                // switches the outbox to sending directly; dropping them lost answers whose requests then ran again),
                // and any left behind.
                var waiting = direct ? [] : service.Outbox.BeginPull();
                direct = true;
                waiting.AddRange(service.Outbox.TakeWaiting());
                foreach (var reply in waiting)
                {
                    feature.Replies.Send(replyTo, reply);
                }
            }
        }
    }

    private async Task StreamAsync(AsyncDuplexStreamingCall<V1.PartitionMessage, V1.IngressMessage> call, IHeadNodeWayIn service, Uri replyTo, Action opened, CancellationToken stopping, CancellationToken hard)
    {
        // Credit granted and not yet used by requests that came down.
        var outstanding = 0;
        var stopped = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var onStop = stopping.Register(static state => ((TaskCompletionSource)state!).TrySetResult(), stopped);
        var reading = Task.Run(async () =>
        {
            // Read to the end even while stopping: requests already on their way are taken (and answered), not lost.
            await foreach (var message in call.ResponseStream.ReadAllAsync(hard).ConfigureAwait(false))
            {
                var batch = new WireRequest[message.Requests.Count];
                for (var i = 0; i < batch.Length; i++)
                {
                    var request = message.Requests[i];
                    batch[i] = new WireRequest(request.Id, request.Body.Memory, request.TraceParent.Length == 0 ? null : request.TraceParent);
                }

                // Taken into the queue first, then off the outstanding credit: in between, the writer sees less room
                // (it may grant too little for a moment, never too much); a request finishing wakes it again.
                service.Accept(batch, replyTo);
                Interlocked.Add(ref outstanding, -batch.Length);
            }
        }, CancellationToken.None);

        var first = true;
        while (!reading.IsCompleted)
        {
            // Arm every signal first, then look: a change in between wakes the wait below.
            var roomFreed = service.RoomFreed;
            var answered = service.Outbox.Waiting;
            var closing = stopping.IsCancellationRequested;
            var credit = closing ? 0 : service.PullRoom - Volatile.Read(ref outstanding);
            var replies = service.Outbox.TakeWaiting();
            if (closing && !first)
            {
                await CloseAsync(call, replies, replyTo, reading).ConfigureAwait(false);
                break;
            }

            if (first || credit > 0 || replies.Count > 0)
            {
                var message = new V1.PartitionMessage { Credit = Math.Max(credit, 0) };
                if (first)
                {
                    message.Hello = new V1.Hello { Service = service.Name, Partition = feature.Context.Partition, Attempt = feature.Context.Attempt };
                    first = false;
                }

                foreach (var reply in replies)
                {
                    message.Replies.Add(new V1.Reply { Id = reply.Id, Status = reply.Status, Body = UnsafeByteOperations.UnsafeWrap(reply.Body) });
                }

                Interlocked.Add(ref outstanding, Math.Max(credit, 0));
                try
                {
                    await call.RequestStream.WriteAsync(message, hard).ConfigureAwait(false);
                    if (message.Hello is not null)
                    {
                        opened();
                    }
                }
                catch
                {
                    // Not sent: these answers go by HTTP (the caller flushes what waits; these were taken already).
                    foreach (var reply in replies)
                    {
                        feature.Replies.Send(replyTo, reply);
                    }

                    throw;
                }

                continue;
            }

            await Task.WhenAny(roomFreed, answered, reading, stopped.Task).ConfigureAwait(false);
        }

        await reading.ConfigureAwait(false);
    }

    // The partition stops: the last answers go on the stream, then this side is completed and the head node's side
    // read to its end (the head node ends it once it read everything), so nothing written is reset away.
    private async Task CloseAsync(AsyncDuplexStreamingCall<V1.PartitionMessage, V1.IngressMessage> call, List<WireReply> replies, Uri replyTo, Task reading)
    {
        try
        {
            if (replies.Count > 0)
            {
                var message = new V1.PartitionMessage();
                foreach (var reply in replies)
                {
                    message.Replies.Add(new V1.Reply { Id = reply.Id, Status = reply.Status, Body = UnsafeByteOperations.UnsafeWrap(reply.Body) });
                }

                await call.RequestStream.WriteAsync(message).ConfigureAwait(false);
            }

            await call.RequestStream.CompleteAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is RpcException or IOException or InvalidOperationException or OperationCanceledException)
        {
            // Not sent: these answers go by HTTP.
            foreach (var reply in replies)
            {
                feature.Replies.Send(replyTo, reply);
            }
        }

        await reading.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 424, Level = LogLevel.Warning, Message = "Service '{Service}': the head-node stream broke ({Reason}); opening it again.")]
        public static partial void StreamFailed(ILogger logger, string service, string reason);

        [LoggerMessage(EventId = 425, Level = LogLevel.Information, Message = "Service '{Service}': the head node refused the stream ({Reason}); this attempt stops taking its requests.")]
        public static partial void StreamRefused(ILogger logger, string service, string reason);
    }
}
