using Grpc.Core;
using Microsoft.Extensions.Hosting;
using V1 = Partitioned.Protocol.V1;

namespace Partitioned.Coordination;

/// <summary>
/// The coordinator's gRPC directory service (<c>protos/partitioned/v1/directory.proto</c>): the snapshot, and a Watch
/// stream that starts with a snapshot (or resumes after a version) and then sends every change in version order.
/// The cluster token or a client key opens it; both only read.
/// </summary>
internal sealed class DirectoryGrpcService(PartitionDirectory directory, CoordinatorAccess access, IHostApplicationLifetime lifetime) : V1.PartitionDirectory.PartitionDirectoryBase
{
    public override Task<V1.DirectorySnapshot> GetSnapshot(V1.GetSnapshotRequest request, ServerCallContext context)
    {
        Authorize(context);
        return Task.FromResult(DirectoryMessages.ToMessage(directory.Id, directory.Current));
    }

    public override async Task Watch(V1.WatchRequest request, IServerStreamWriter<V1.DirectoryEvent> responseStream, ServerCallContext context)
    {
        Authorize(context);
        if (request.HasResumeAfterVersion && request.ResumeAfterVersion < 0)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"resume_after_version must be 0 or more (was {request.ResumeAfterVersion})."));
        }

        // Resuming only makes sense within this directory: another id means the coordinator restarted, so versions restart too.
        long? after = request.HasResumeAfterVersion && request.DirectoryId == directory.Id ? request.ResumeAfterVersion : null;

        // A watch ends when the coordinator stops (clients reconnect and resume), so a stop never waits out the drain timeout.
        using var call = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken, lifetime.ApplicationStopping);
        var cancellationToken = call.Token;
        var (reset, changes) = directory.Subscribe(after, cancellationToken);
        long last;
        if (reset is not null)
        {
            await responseStream.WriteAsync(new V1.DirectoryEvent { Snapshot = DirectoryMessages.ToMessage(directory.Id, reset) }, cancellationToken).ConfigureAwait(false);
            last = reset.Version;
        }
        else
        {
            last = after!.Value;
        }

        try
        {
            await foreach (var change in changes.ConfigureAwait(false))
            {
                // A snapshot taken at subscription may already include changes the channel also holds: skip those.
                if (change.Snapshot.Version <= last)
                {
                    continue;
                }

                last = change.Snapshot.Version;
                await responseStream.WriteAsync(new V1.DirectoryEvent { Change = DirectoryMessages.ToMessage(change) }, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The client went away or the coordinator is stopping: the stream just ends.
        }
    }

    private void Authorize(ServerCallContext context)
    {
        var header = context.RequestHeaders.GetValue("authorization");
        switch (access.Classify(header))
        {
            case CoordinatorCredential.Missing:
                throw new RpcException(new Status(StatusCode.Unauthenticated, "This service needs the cluster token or a client key in 'authorization: Bearer <key>' metadata."));
            case CoordinatorCredential.Invalid:
                throw new RpcException(new Status(StatusCode.PermissionDenied, "The bearer credential is neither this cluster's token nor one of its client keys."));
        }
    }
}
