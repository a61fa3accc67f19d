using Grpc.Core;
using Microsoft.Extensions.Hosting;
using Partitioned.Directories;
using Partitioned.Protocol;
using V1 = Partitioned.Protocol.V1;

namespace Partitioned.Coordination;

/// <summary>
/// The coordinator's gRPC directory service (<c>protos/partitioned/v1/directory.proto</c>): the snapshot, and a Watch
/// stream that starts with a snapshot (or resumes after a version) and then sends every change in version order.
/// The cluster token or a client key opens it; both only read. Watch streams are bounded: in number (per credential
/// and in total: <c>RESOURCE_EXHAUSTED</c> beyond), and in how far each may fall behind (beyond it, the stream ends with
/// <c>ABORTED</c>, telling the watcher to resume after the last version it applied).
/// </summary>
internal sealed class DirectoryGrpcService(PartitionDirectory directory, CoordinatorAccess access, WatchStreams streams, CoordinatorOptions options, IHostApplicationLifetime lifetime)
    : V1.PartitionDirectory.PartitionDirectoryBase
{
    // How long a write may still wait on a slow watcher's connection once the watcher is ended for falling behind.
    private static readonly TimeSpan s_writeGrace = TimeSpan.FromSeconds(5);

    public override Task<V1.DirectorySnapshot> GetSnapshot(V1.GetSnapshotRequest request, ServerCallContext context)
    {
        Authorize(context);
        return Task.FromResult(DirectoryMessages.ToMessage(directory.Id, directory.Current));
    }

    public override async Task Watch(V1.WatchRequest request, IServerStreamWriter<V1.DirectoryEvent> responseStream, ServerCallContext context)
    {
        var credential = Authorize(context);
        if (request.HasResumeAfterVersion && request.ResumeAfterVersion < 0)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"resume_after_version must be 0 or more (was {request.ResumeAfterVersion})."));
        }

        using var lease = streams.TryOpen(credential, out var refusal) ?? throw new RpcException(new Status(StatusCode.ResourceExhausted, refusal!));

        // Resuming only makes sense within this directory: another id means the coordinator restarted, so versions restart too.
        long? after = request.HasResumeAfterVersion && request.DirectoryId == directory.Id ? request.ResumeAfterVersion : null;

        // A watch ends when the coordinator stops (clients reconnect and resume), so a stop never waits out the drain timeout.
        using var call = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken, lifetime.ApplicationStopping);
        var (reset, changes) = directory.Subscribe(after, call.Token, options.MaxWatchBacklog);

        // Disposed on every path, the first write included: a call cancelled at any moment leaves nothing subscribed.
        using (changes)
        {
            // A watcher too far behind is unsubscribed at once; the write it may be stuck in gets a moment to finish, so
            // the watcher can read the status that tells it to resume, then is cancelled (its connection reset).
            using var writes = CancellationTokenSource.CreateLinkedTokenSource(call.Token);
            using var giveUp = changes.Ended.Register(static state => ((CancellationTokenSource)state!).CancelAfter(s_writeGrace), writes);
            var last = after ?? 0;
            try
            {
                if (reset is not null)
                {
                    await responseStream.WriteAsync(new V1.DirectoryEvent { Snapshot = DirectoryMessages.ToMessage(directory.Id, reset) }, writes.Token).ConfigureAwait(false);
                    last = reset.Version;
                    lease.Sent(last);
                }

                await foreach (var change in changes.WithCancellation(call.Token).ConfigureAwait(false))
                {
                    // A snapshot taken at subscription may already include changes the channel also holds: skip those.
                    if (change.Snapshot.Version <= last)
                    {
                        continue;
                    }

                    if (changes.HasFallenBehind)
                    {
                        break;
                    }

                    await responseStream.WriteAsync(new V1.DirectoryEvent { Change = DirectoryMessages.ToMessage(change) }, writes.Token).ConfigureAwait(false);
                    last = change.Snapshot.Version;
                    lease.Sent(last);
                }
            }
            catch (Exception ex) when (changes.HasFallenBehind && ex is DirectoryFeed.WatcherFellBehindException or OperationCanceledException && !call.IsCancellationRequested)
            {
                // Ended below, with the status that says so.
            }
            catch (OperationCanceledException) when (call.IsCancellationRequested)
            {
                // The client went away or the coordinator is stopping: the stream just ends.
                return;
            }

            if (changes.HasFallenBehind)
            {
                throw new RpcException(new Status(StatusCode.Aborted,
                    $"This watcher fell more than {options.MaxWatchBacklog} changes behind the directory (it reads too slowly) and was ended; open a new Watch that resumes after the last version it applied (at most {last})."));
            }
        }
    }

    /// <summary>Refuses a call without a valid credential; returns which credential it is (for the per-credential limit).</summary>
    private int Authorize(ServerCallContext context)
    {
        var header = context.RequestHeaders.GetValue("authorization");
        var (kind, credential) = access.Identify(header);
        return kind switch
        {
            CoordinatorCredential.Missing => throw new RpcException(new Status(StatusCode.Unauthenticated, "This service needs the cluster token or a client key in 'authorization: Bearer <key>' metadata.")),
            CoordinatorCredential.Invalid => throw new RpcException(new Status(StatusCode.PermissionDenied, "The bearer credential is neither this cluster's token nor one of its client keys.")),
            _ => credential,
        };
    }
}
