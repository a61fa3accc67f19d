using Google.Protobuf;
using Grpc.Core;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Partitioned.Coordination;
using Partitioned.Security;
using Partitioned.Shared;

using V1 = Partitioned.Protocol.V1;

namespace Partitioned.Serving;

/// <summary>
/// The head node's gRPC transport (<c>protos/partitioned/v1/headnode.proto</c>, <see cref="HeadNodeTransport.GrpcStream"/>):
/// one bidi stream per partition attempt and service. Requests go down against the credit the partition granted, oldest
/// first and in batches; answers come up as they are ready. The same rules as the long poll (<see cref="LongPollRoutes"/>):
/// a stale or lost attempt takes nothing (its stream stays open for the answers it owes), a request taken but not
/// delivered goes back to the queue, a request a dead attempt held is replayed, and the first answer from an attempt in
/// good standing (or the holder) wins.
/// </summary>
internal sealed class PartitionStreams(PendingRequests requests, PartitionDirectory directory, ClusterToken streamKey, TimeProvider time) : V1.HeadNode.HeadNodeBase
{
    // How often a stream that may not take work looks at its attempt's standing again.
    private static readonly TimeSpan s_standingPoll = TimeSpan.FromMilliseconds(250);

    public override async Task Serve(IAsyncStreamReader<V1.PartitionMessage> requestStream, IServerStreamWriter<V1.IngressMessage> responseStream, ServerCallContext context)
    {
        Authorize(context);

        // The stream lives as long as the head node: when it stops, streams end, so its stop does not wait out the
        // drain timeout for them; partitions then send the answers they still owe by HTTP through the coordinator.
        var stopping = context.GetHttpContext().RequestServices.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping;
        using var call = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken, stopping);
        var cancellationToken = call.Token;
        if (!await requestStream.MoveNext(cancellationToken).ConfigureAwait(false) || requestStream.Current.Hello is not { } hello)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "The first message of a head-node stream must carry a hello (service, partition, attempt)."));
        }

        if (!SafeName.IsValid(hello.Service) || !requests.Takes(hello.Service))
        {
            throw new RpcException(new Status(StatusCode.NotFound, $"The head node takes no service named '{SafeName.Describe(hello.Service)}'."));
        }

        if ((uint)hello.Partition >= (uint)directory.Current.PartitionCount || hello.Attempt < 0)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"partition must be 0 to {directory.Current.PartitionCount - 1} and attempt 0 or more (were {hello.Partition} and {hello.Attempt})."));
        }

        var stream = new PartitionStream(hello.Partition, hello.Attempt);
        stream.Grant(requestStream.Current.Credit);
        Complete(requestStream.Current.Replies, stream);
        var reading = ReadAsync(requestStream, stream, cancellationToken);
        try
        {
            await WriteAsync(responseStream, stream, hello.Service, reading, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            requests.CloseStream(hello.Service, stream);

            // The partition closed its side, or went away: the reader ends with the call.
            await reading.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    private async Task ReadAsync(IAsyncStreamReader<V1.PartitionMessage> input, PartitionStream stream, CancellationToken cancellationToken)
    {
        try
        {
            while (await input.MoveNext(cancellationToken).ConfigureAwait(false))
            {
                var message = input.Current;
                Complete(message.Replies, stream);
                if (message.Credit > 0)
                {
                    stream.Grant(message.Credit);
                }
            }
        }
        finally
        {
            stream.Wake();
        }
    }

    private async Task WriteAsync(IServerStreamWriter<V1.IngressMessage> output, PartitionStream stream, string service, Task reading, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested && !reading.IsCompleted)
        {
            var woken = stream.Woken;
            var (standing, taken) = requests.TakeForStream(service, directory, stream, stream.Credit);
            if (standing != AttemptStanding.Current)
            {
                // Fenced (replaced, draining) or declared lost: it takes nothing, but the stream stays open, so the
                // answers it still sends are read (ending the call now could drop answers already on their way, and
                // their requests would run again). It ends when the partition closes its side (a draining or fenced
                // worker stops), and a lost attempt that answers health checks again takes work again.
                await Task.WhenAny(reading, Task.Delay(s_standingPoll, time, cancellationToken)).ConfigureAwait(false);
                continue;
            }

            if (taken.Count == 0)
            {
                // No yield to gather a batch here (the long poll does one): under load requests queue while the
                // previous batch is written, so batches form by themselves, and one connection gains a thread-pool turn.
                // The call's end completes the reader, so cancellation ends this wait too.
                await Task.WhenAny(woken, reading).ConfigureAwait(false);
                continue;
            }

            stream.Spend(taken.Count);
            var message = new V1.IngressMessage();
            foreach (var request in taken)
            {
                message.Requests.Add(new V1.Request { Id = request.Id, Body = UnsafeByteOperations.UnsafeWrap(request.Body), TraceParent = request.TraceParent ?? string.Empty });
            }

            try
            {
                await output.WriteAsync(message, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is IOException or OperationCanceledException or InvalidOperationException or RpcException)
            {
                // The partition went away before it got the batch: nobody holds these requests.
                requests.ReturnUndelivered(taken, stream.Partition, stream.Attempt);
                return;
            }
        }
    }

    private void Complete(Google.Protobuf.Collections.RepeatedField<V1.Reply> replies, PartitionStream from)
    {
        if (replies.Count == 0)
        {
            return;
        }

        var wire = new List<WireReply>(replies.Count);
        foreach (var reply in replies)
        {
            var status = reply.Status is >= 100 and <= 599 ? reply.Status : StatusCodes.Status502BadGateway;
            wire.Add(new WireReply(reply.Id, status, reply.Body.Memory));
        }

        requests.Complete(wire, new ReplyFrom(from.Partition, from.Attempt));
    }

    private void Authorize(ServerCallContext context)
    {
        var header = context.RequestHeaders.GetValue("authorization");
        if (header is null || !header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            throw new RpcException(new Status(StatusCode.Unauthenticated, "A head-node stream needs the head node's stream key in 'authorization: Bearer <key>' metadata (GET /v1/serving on the coordinator gives it)."));
        }

        if (!streamKey.Matches(header.AsSpan("Bearer ".Length).Trim()))
        {
            throw new RpcException(new Status(StatusCode.PermissionDenied, "The bearer key is not this head node's stream key."));
        }
    }
}
