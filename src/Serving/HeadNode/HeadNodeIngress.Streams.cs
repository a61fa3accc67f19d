using Google.Protobuf;
using Grpc.Core;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Partitioned.Coordination;
using Partitioned.Shared;
using V1 = Partitioned.Protocol.V1;

namespace Partitioned.Serving;

internal sealed partial class HeadNodeIngress
{
    /// <summary>
    /// One partition attempt's stream for one service: requests go down against the credit the partition granted,
    /// oldest first and in batches; answers come up as they are ready. The same rules as the long poll: a stale or lost
    /// attempt takes nothing (its stream stays open for the answers it owes), a request taken but not delivered goes back
    /// to the queue, a request a dead attempt held is replayed by <see cref="OnPartitionChanged"/>, and the first answer
    /// from an attempt in good standing (or the holder) wins.
    /// </summary>
    // How often a stream that may not take work looks at its attempt's standing again.
    private static readonly TimeSpan s_standingPoll = TimeSpan.FromMilliseconds(250);

    internal async Task ServeStreamAsync(IAsyncStreamReader<V1.PartitionMessage> input, IServerStreamWriter<V1.IngressMessage> output, ServerCallContext context)
    {
        Authorize(context);

        // The stream lives as long as the head node: when it stops, streams end, so its stop does not wait out the
        // drain timeout for them; partitions then send the answers they still owe by HTTP through the coordinator.
        var stopping = context.GetHttpContext().RequestServices.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping;
        using var call = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken, stopping);
        var cancellationToken = call.Token;
        if (!await input.MoveNext(cancellationToken).ConfigureAwait(false) || input.Current.Hello is not { } hello)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "The first message of a head-node stream must carry a hello (service, partition, attempt)."));
        }

        var directory = _directory!;
        if (!SafeName.IsValid(hello.Service) || !_queues.TryGetValue(hello.Service, out var queue))
        {
            throw new RpcException(new Status(StatusCode.NotFound, $"The head node takes no service named '{SafeName.Describe(hello.Service)}'."));
        }

        if ((uint)hello.Partition >= (uint)directory.Current.PartitionCount || hello.Attempt < 0)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"partition must be 0 to {directory.Current.PartitionCount - 1} and attempt 0 or more (were {hello.Partition} and {hello.Attempt})."));
        }

        var stream = new PartitionStream(hello.Partition, hello.Attempt);
        stream.Grant(input.Current.Credit);
        Complete(input.Current.Replies, stream);
        var reading = ReadStreamAsync(input, stream, cancellationToken);
        try
        {
            await WriteStreamAsync(output, stream, queue, hello.Service, directory, reading, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            lock (_gate)
            {
                // A wake this stream took as it closed must not strand a waiting request: pass it on.
                stream.Close();
                if (queue.Count > 0)
                {
                    queue.WakeParked();
                }
            }

            // The partition closed its side, or went away: the reader ends with the call.
            await reading.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    private async Task ReadStreamAsync(IAsyncStreamReader<V1.PartitionMessage> input, PartitionStream stream, CancellationToken cancellationToken)
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

    private async Task WriteStreamAsync(IServerStreamWriter<V1.IngressMessage> output, PartitionStream stream, IngressQueue queue, string service, PartitionDirectory directory, Task reading, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested && !reading.IsCompleted)
        {
            var woken = stream.Woken;
            var credit = stream.Credit;
            List<IngressRequest> taken = [];
            AttemptStanding standing;
            lock (_gate)
            {
                // Under the lock replays take too, as for a pull: see PullAsync. Judged per replica: a sibling's newer
                // attempt does not make this one stale.
                standing = Standing(directory.Current, stream.Partition, stream.Attempt);
                var stale = standing != AttemptStanding.Current;
                stream.Benched = stale;
                if (!stale && credit > 0)
                {
                    taken = queue.Take(credit);
                    foreach (var request in taken)
                    {
                        request.State = IngressRequest.Held;
                        request.HeldByPartition = stream.Partition;
                        request.HeldByAttempt = stream.Attempt;
                    }
                }

                if (!stale && taken.Count == 0 && credit > 0)
                {
                    // Idle with room: wait for an arrival in line with the other idle streams, not all woken at once.
                    stream.Park(queue);
                }
            }

            if (standing != AttemptStanding.Current)
            {
                lock (_gate)
                {
                    // It may have taken a wake (parked while it stood well) meant for a stream that can take the
                    // request: pass it on. Benched, it passes on every later wake at once.
                    if (queue.Count > 0)
                    {
                        queue.WakeParked();
                    }
                }

                // Fenced (replaced, draining) or declared lost: it takes nothing, but the stream stays open, so the
                // answers it still sends are read (ending the call now could drop answers already on their way, and
                // their requests would run again). It ends when the partition closes its side (a draining or fenced
                // worker stops), and a lost attempt that answers health checks again takes work again.
                await Task.WhenAny(reading, Task.Delay(s_standingPoll, _time, cancellationToken)).ConfigureAwait(false);
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
            ServingMetrics.QueuedRequests.Add(-taken.Count, ServingMetrics.Service(service));
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
                Log.PullAborted(_logger, stream.Partition, stream.Attempt, taken.Count);
                Requeue(taken);
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

        CompleteReplies(wire, new ReplyFrom(from.Partition, from.Attempt));
    }

    private void Authorize(ServerCallContext context)
    {
        var header = context.RequestHeaders.GetValue("authorization");
        if (header is null || !header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            throw new RpcException(new Status(StatusCode.Unauthenticated, "A head-node stream needs the head node's stream key in 'authorization: Bearer <key>' metadata (GET /v1/serving on the coordinator gives it)."));
        }

        if (!_streamKey.Matches(header.AsSpan("Bearer ".Length).Trim()))
        {
            throw new RpcException(new Status(StatusCode.PermissionDenied, "The bearer key is not this head node's stream key."));
        }
    }

    /// <summary>The credit a partition granted on its stream, and a signal for "credit came or the stream ended".</summary>
    private sealed class PartitionStream(int partition, int attempt) : IParkedStream
    {
        private readonly Lock _gate = new();
        private TaskCompletionSource _woken = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _credit;

        // Both under the ingress's lock: parked at most once at a time, and never again once closed.
        private bool _parked;
        private bool _closed;

        public void Park(IngressQueue queue)
        {
            if (!_parked && !_closed)
            {
                _parked = true;
                queue.Park(this);
            }
        }

        public bool TryUnpark()
        {
            _parked = false;
            if (_closed || Benched)
            {
                return false;
            }

            Wake();
            return true;
        }

        public void Close() => _closed = true;

        /// <summary>True while its attempt may not take work (replaced or lost): a wake is passed over. Under the ingress's lock.</summary>
        public bool Benched { get; set; }

        public int Partition { get; } = partition;

        public int Attempt { get; } = attempt;

        public int Credit => Volatile.Read(ref _credit);

        public Task Woken
        {
            get
            {
                lock (_gate)
                {
                    return _woken.Task;
                }
            }
        }

        public void Grant(int credit)
        {
            if (credit > 0)
            {
                Interlocked.Add(ref _credit, credit);
                Wake();
            }
        }

        public void Spend(int count) => Interlocked.Add(ref _credit, -count);

        public void Wake()
        {
            TaskCompletionSource woken;
            lock (_gate)
            {
                woken = _woken;
                _woken = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }

            woken.TrySetResult();
        }
    }
}
