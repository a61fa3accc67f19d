using System.Net.Http;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Grpc.Core;
using Grpc.Net.Client;
using Partitioned.Directories;
using Partitioned.Protocol;
using Partitioned.Security;
using V1 = Partitioned.Protocol.V1;

namespace Partitioned.Client;

/// <summary>
/// Follows the coordinator's Watch stream into a <see cref="PartitionDirectoryMirror"/>: one stream at a time; when it
/// breaks, reconnects with exponential backoff and resumes after the last version applied, so no change is missed or
/// applied twice. Declares the cluster gone when the key is refused, every partition stopped, or the coordinator stayed
/// unreachable for <see cref="PartitionedClientOptions.GoneAfter"/>.
/// </summary>
internal sealed partial class DirectoryFollower : IAsyncDisposable
{
    private readonly Uri _coordinator;
    private readonly string _key;
    private readonly PartitionedClientOptions _options;
    private readonly SocketsHttpHandler _grpcHandler;
    private readonly SocketsHttpHandler _httpHandler;
    private readonly CoordinatorDiscovery _discovery;
    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource<ClusterGoneException> _gone = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private GrpcChannel? _channel;
    private Uri? _channelAddress;
    private Task _loop = Task.CompletedTask;
    private int _connections;

    private DirectoryFollower(Uri coordinator, string key, IReadOnlyList<X509Certificate2> trustedAuthorities, PartitionedClientOptions options)
    {
        _coordinator = coordinator;
        _key = key;
        _options = options;
        _grpcHandler = PinnedTrust.Apply(
            new SocketsHttpHandler
            {
                // A dropped network gives no FIN: HTTP/2 pings find a dead stream within seconds, so the client reconnects.
                KeepAlivePingDelay = TimeSpan.FromSeconds(5),
                KeepAlivePingTimeout = TimeSpan.FromSeconds(5),
                KeepAlivePingPolicy = HttpKeepAlivePingPolicy.Always,
                ConnectTimeout = TimeSpan.FromSeconds(5),
            },
            trustedAuthorities);
        _httpHandler = PinnedTrust.Apply(new SocketsHttpHandler { ConnectTimeout = TimeSpan.FromSeconds(5) }, trustedAuthorities);
        _discovery = new CoordinatorDiscovery(coordinator, key, _httpHandler);
    }

    public PartitionDirectoryMirror Directory { get; private set; } = null!;

    /// <summary>Completes with why the cluster is gone; never faults.</summary>
    public Task<ClusterGoneException> Gone => _gone.Task;

    /// <summary>How many Watch streams were opened (the first and every reconnect).</summary>
    public int Connections => Volatile.Read(ref _connections);

    public static async Task<DirectoryFollower> ConnectAsync(Uri coordinator, string key, IReadOnlyList<X509Certificate2> trustedAuthorities, PartitionedClientOptions options, CancellationToken cancellationToken)
    {
        var follower = new DirectoryFollower(coordinator, key, trustedAuthorities, options);
        try
        {
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            deadline.CancelAfter(options.ConnectTimeout);
            var delay = options.ReconnectDelay;
            while (true)
            {
                try
                {
                    var call = await follower.OpenAsync(resume: false, deadline.Token).ConfigureAwait(false);
                    if (!await call.ResponseStream.MoveNext(deadline.Token).ConfigureAwait(false) || call.ResponseStream.Current.Snapshot is not { } first || !DirectoryMessages.IsValid(first))
                    {
                        call.Dispose();
                        throw new RpcException(new Status(StatusCode.Internal, "The coordinator's Watch stream did not start with a snapshot."));
                    }

                    follower.Directory = new PartitionDirectoryMirror(first.DirectoryId, DirectoryMessages.ToSnapshot(first));
                    follower._loop = Task.Run(() => follower.FollowAsync(call));
                    return follower;
                }
                catch (Exception ex) when (IsTransient(ex) && !IsUntrusted(ex) && !deadline.IsCancellationRequested)
                {
                    await Task.Delay(delay, deadline.Token).ConfigureAwait(false);
                    delay = Next(delay, options);
                }
            }
        }
        catch (Exception ex)
        {
            await follower.DisposeAsync().ConfigureAwait(false);
            if (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException($"Could not reach the cluster's directory through the coordinator at {coordinator} within {options.ConnectTimeout.TotalSeconds:0.###} s.", ex);
            }

            if (IsUntrusted(ex))
            {
                throw new AuthenticationException(
                    $"The coordinator at {coordinator} presented a certificate this client does not trust ({(trustedAuthorities.Count == 0 ? "it was given no authority, so only the machine's store counts" : $"it trusts only the {trustedAuthorities.Count} authorities its key carries")}): " +
                    "connect with the key the cluster exported with its trusted authorities (ClientKey.WithTrustedAuthorities(cluster.Transport.TrustedAuthorities).Export()).", ex);
            }

            if (ex is RpcException { StatusCode: StatusCode.Unauthenticated or StatusCode.PermissionDenied } refused)
            {
                throw new ClusterGoneException($"The coordinator at {coordinator} refused the client key: {refused.Status.Detail}", refused);
            }

            throw;
        }
    }

    private async Task<AsyncServerStreamingCall<V1.DirectoryEvent>> OpenAsync(bool resume, CancellationToken cancellationToken)
    {
        var grpcAddress = _options.GrpcAddress;
        if (grpcAddress is null)
        {
            var discovery = await _discovery.DiscoverAsync(cancellationToken).ConfigureAwait(false);
            grpcAddress = discovery.GrpcAddress is { } advertised ? new Uri(advertised)
                : throw new ClusterGoneException($"The coordinator at {_coordinator} has its gRPC listener turned off (ClusterOptions.CoordinatorGrpcPort = -1): remote clients cannot follow it.");
        }

        if (_channel is null || _channelAddress != grpcAddress)
        {
            _channel?.Dispose();
            _channel = GrpcChannel.ForAddress(grpcAddress, new GrpcChannelOptions { HttpHandler = _grpcHandler, DisposeHttpClient = false });
            _channelAddress = grpcAddress;
        }

        var request = new V1.WatchRequest();
        if (resume && Directory is { } directory)
        {
            request.DirectoryId = directory.Id;
            request.ResumeAfterVersion = directory.Current.Version;
        }

        var client = new V1.PartitionDirectory.PartitionDirectoryClient(_channel);
        Interlocked.Increment(ref _connections);
        return client.Watch(request, new Metadata { { "authorization", "Bearer " + _key } }, cancellationToken: cancellationToken);
    }

    private async Task FollowAsync(AsyncServerStreamingCall<V1.DirectoryEvent> call)
    {
        var token = _stop.Token;
        var delay = _options.ReconnectDelay;
        var unreachableSince = (DateTimeOffset?)null;
        while (!token.IsCancellationRequested)
        {
            try
            {
                using (call)
                {
                    while (await call.ResponseStream.MoveNext(token).ConfigureAwait(false))
                    {
                        unreachableSince = null;
                        delay = _options.ReconnectDelay;
                        if (!Apply(call.ResponseStream.Current))
                        {
                            break;
                        }

                        if (StoppedForGood(Directory.Current))
                        {
                            SetGone(new ClusterGoneException("The cluster stopped: every partition is stopped or failed."));
                            return;
                        }
                    }
                }
            }
            catch (RpcException ex) when (ex.StatusCode is StatusCode.Unauthenticated or StatusCode.PermissionDenied)
            {
                SetGone(new ClusterGoneException($"The coordinator at {_coordinator} refused the client key: {ex.Status.Detail}", ex));
                return;
            }
            catch (ClusterGoneException ex)
            {
                SetGone(ex);
                return;
            }
            catch (Exception ex) when (IsTransient(ex) && !token.IsCancellationRequested)
            {
                unreachableSince ??= DateTimeOffset.UtcNow;
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                return;
            }

            // The stream ended or broke: reconnect (with backoff) and resume after the last version applied.
            while (!token.IsCancellationRequested)
            {
                unreachableSince ??= DateTimeOffset.UtcNow;
                if (DateTimeOffset.UtcNow - unreachableSince > _options.GoneAfter)
                {
                    SetGone(new ClusterGoneException($"The coordinator at {_coordinator} has been unreachable for {_options.GoneAfter.TotalSeconds:0.###} s: the cluster is considered gone."));
                    return;
                }

                try
                {
                    await Task.Delay(delay, token).ConfigureAwait(false);
                    delay = Next(delay, _options);
                    call = await OpenAsync(resume: true, token).ConfigureAwait(false);
                    break;
                }
                catch (ClusterGoneException ex)
                {
                    SetGone(ex);
                    return;
                }
                catch (Exception ex) when (IsTransient(ex) && !token.IsCancellationRequested)
                {
                }
                catch (OperationCanceledException) when (token.IsCancellationRequested)
                {
                    return;
                }
            }
        }
    }

    /// <summary>Applies one event; false when it did not follow the last version (the stream is then reopened).</summary>
    private bool Apply(V1.DirectoryEvent message)
    {
        switch (message.EventCase)
        {
            case V1.DirectoryEvent.EventOneofCase.Snapshot when DirectoryMessages.IsValid(message.Snapshot):
                if (message.Snapshot.Partitions.Count != Directory.Current.PartitionCount)
                {
                    throw new ClusterGoneException($"The coordinator at {_coordinator} now serves a cluster of {message.Snapshot.Partitions.Count} partitions, not the {Directory.Current.PartitionCount} this client followed.");
                }

                Directory.Reset(message.Snapshot.DirectoryId, DirectoryMessages.ToSnapshot(message.Snapshot));
                return true;
            case V1.DirectoryEvent.EventOneofCase.Change when message.Change.Entry is { } entry:
                return Directory.Apply(DirectoryMessages.ToKind(message.Change.Kind), DirectoryMessages.ToEntry(entry), message.Change.Replica, message.Change.Version);
            default:
                return false;
        }
    }

    private static bool StoppedForGood(DirectorySnapshot snapshot) =>
        snapshot.Partitions.All(static p => p.State is PartitionState.Stopped or PartitionState.Failed);

    private void SetGone(ClusterGoneException reason) => _gone.TrySetResult(reason);

    private static bool IsTransient(Exception ex) =>
        ex is RpcException { StatusCode: not (StatusCode.Unauthenticated or StatusCode.PermissionDenied) } or HttpRequestException or IOException or TimeoutException
        || (ex is TaskCanceledException && ex.InnerException is TimeoutException);

    /// <summary>True when the coordinator's certificate was refused: no retry can change that.</summary>
    private static bool IsUntrusted(Exception ex) =>
        ex is HttpRequestException { HttpRequestError: HttpRequestError.SecureConnectionError }
        || ex.InnerException is HttpRequestException { HttpRequestError: HttpRequestError.SecureConnectionError }
        || (ex is RpcException rpc && rpc.Status.DebugException is HttpRequestException { HttpRequestError: HttpRequestError.SecureConnectionError });

    private static TimeSpan Next(TimeSpan delay, PartitionedClientOptions options) =>
        TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, options.MaxReconnectDelay.Ticks));

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _gone.TrySetResult(new ClusterGoneException("This client was disposed."));
        _channel?.Dispose();
        _discovery.Dispose();
        _grpcHandler.Dispose();
        _httpHandler.Dispose();
        _stop.Dispose();
    }
}
