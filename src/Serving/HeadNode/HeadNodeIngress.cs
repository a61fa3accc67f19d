using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Partitioned.Coordination;
using Partitioned.Directories;
using Partitioned.Protocol;
using Partitioned.Routing;
using Partitioned.Security;
using Partitioned.Shared;

namespace Partitioned.Serving;

/// <summary>
/// Head-node mode's front: holds every client connection, queues requests per service, lets partitions pull them
/// in batches through the coordinator, and routes each answer back to its connection. A request taken by an
/// attempt that dies before answering is put back at the front of the queue for the next attempt (or another
/// partition): accepted work is not lost. Every request still gets exactly one answer, or 504 at its deadline.
/// </summary>
internal sealed partial class HeadNodeIngress : IAsyncDisposable
{
    private static readonly TimeSpan s_longPoll = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan s_sweepInterval = TimeSpan.FromMilliseconds(50);
    private static readonly TimeSpan s_drainPoll = TimeSpan.FromMilliseconds(20);

    private readonly ServingOptions _options;
    private readonly TimeProvider _time;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, IngressQueue> _queues;
    private readonly Dictionary<string, IngressRequest> _pending = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stop = new();
    private WebApplication? _app;
    private PartitionDirectory? _directory;
    private Task _sweeper = Task.CompletedTask;
    private long _nextId;
    private bool _stopping;

    // Opens the partitions' request streams; handed out only through the coordinator's token-protected /v1/serving.
    private readonly ClusterToken _streamKey = ClusterToken.Create();

    public HeadNodeIngress(ServingOptions options, ILoggerFactory loggerFactory, TimeProvider time)
    {
        _options = options;
        _time = time;
        _loggerFactory = loggerFactory;
        _logger = loggerFactory.CreateLogger<HeadNodeIngress>();
        _queues = options.Services.ToDictionary(static s => s, s => new IngressQueue(options.QueueCapacity), StringComparer.Ordinal);
    }

    public Uri Address { get; private set; } = null!;

    /// <summary>The HTTP/2-only listener partitions hold their request streams to, or null with the long-poll transport.</summary>
    public Uri? StreamAddress { get; private set; }

    /// <summary>
    /// Starts taking client requests; partitions of the cluster with <paramref name="directory"/> serve them. The
    /// client-facing front binds where <see cref="ServingOptions.BindAddress"/> says; the partitions' streams, being
    /// partition-facing, follow the coordinator's rule: they bind on <paramref name="partitionFacingBind"/> (the
    /// coordinator's bind address) and are advertised at <paramref name="partitionFacingHost"/> (the host the
    /// partitions already dial for the coordinator), so partitions on other machines reach them as they reach it.
    /// Under TLS (<paramref name="transport"/>) both serve the driver's certificate, which names both hosts.
    /// </summary>
    public async Task StartAsync(PartitionDirectory directory, string partitionFacingBind, string partitionFacingHost, TransportSecurity transport, CancellationToken cancellationToken)
    {
        _directory = directory;
        KestrelApp.TryParseBindAddress(_options.BindAddress, out var address);
        var certificate = FrontTls.Certificate(transport);
        var builder = KestrelApp.CreateBuilder("Partitioned.HeadNode", _loggerFactory, address, _options.Port, drainTimeout: _options.Deadline, certificate);
        ListenOptions? streams = null;
        if (_options.HeadNodeTransport == HeadNodeTransport.GrpcStream)
        {
            // Partitions' streams on a listener of their own: cleartext HTTP/2 needs an HTTP/2-only endpoint, and the
            // client-facing /serve routes stay HTTP/1.1 and HTTP/2 as before.
            KestrelApp.TryParseBindAddress(partitionFacingBind, out var streamAddress);
            builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(streamAddress, _options.HeadNodeStreamPort, listen =>
            {
                listen.Protocols = HttpProtocols.Http2;
                ServerTls.Use(listen, certificate);
                streams = listen;
            }));
            // No catch-all for unknown gRPC services: it would match every two-segment path, so a known JSON route called
            // with the wrong method would get 404 instead of routing's 405.
            builder.Services.AddGrpc(grpc => grpc.IgnoreUnknownServices = true);
            builder.Services.AddSingleton(this);
        }

        var app = builder.Build();
        app.UseMethodNotAllowedProblems();
        app.UseNotFoundProblems("POST /serve/{name}");
        app.MapPost("/serve/{name}", ServeAsync);
        if (streams is not null)
        {
            app.MapGrpcService<HeadNodeStreamService>();
        }

        try
        {
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
            Address = KestrelApp.GetBoundAddress(app, advertisedHost: null);
            if (streams is { IPEndPoint: { } bound })
            {
                StreamAddress = new UriBuilder(Address) { Host = partitionFacingHost, Port = bound.Port }.Uri;
            }
        }
        catch
        {
            await app.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        _app = app;
        _sweeper = SweepAsync(_stop.Token);
    }

    /// <summary>The routes partitions call, mapped into the coordinator's token-protected <c>/v1</c> group.</summary>
    public void MapPartitionRoutes(IEndpointRouteBuilder v1)
    {
        v1.MapGet("/serving", () => _options.HeadNodeTransport == HeadNodeTransport.GrpcStream && StreamAddress is null
            // The ingress starts once every partition serves: until its stream listener is up, partitions ask again.
            ? ProblemResponse.Result(StatusCodes.Status503ServiceUnavailable, "Head node starting", "The head node's stream listener is not up yet; ask again.")
            : Results.Json(new HeadNodeInfo([.. _queues.Keys], StreamAddress?.ToString(), StreamAddress is null ? null : _streamKey.Value), ProtocolJson.Options));
        v1.MapPost("/serving/{service}/pull", (Delegate)PullAsync);
        v1.MapPost("/serving/replies", (Delegate)RepliesAsync);
    }

    /// <summary>
    /// Watches the directory: when an attempt dies or is declared dead (lost, failed, errored), the requests it held
    /// unanswered go back to the front of their queue. When an attempt is suspected (a health check failed: it may be
    /// cut off the network) while another one stands well, the requests it holds for services it announced as
    /// idempotent go back at once too: they may run twice, and the first answer wins (the suspect's own included, should
    /// it come). An attempt merely replaced (a rolling update) drains what it holds and answers it: its requests are
    /// replayed only if it ends without answering (<see cref="OnAttemptEnded"/>), so a handler never runs twice because
    /// of an update.
    /// </summary>
    public void OnPartitionChanged(PartitionChange change)
    {
        if (change.Kind == PartitionChangeKind.Suspected && change.Replica is { Suspected: true } suspect
            && change.Snapshot.Partitions.Any(static p => p.HasHealthyReplica))
        {
            Replay(change.Partition, suspect.Attempt, request => ResendRules.AnnouncesIdempotent(suspect.Labels, request.Service));
            return;
        }

        var upTo = change.Kind switch
        {
            PartitionChangeKind.Lost or PartitionChangeKind.ErrorReported => change.Attempt,
            PartitionChangeKind.Failed => int.MaxValue,
            _ => -1,
        };
        if (upTo >= 0)
        {
            // Attempt numbers are unique per partition across replicas: a serving sibling keeps what it holds.
            var live = change.Snapshot[change.Partition].Replicas.Where(static r => r.State == PartitionState.Serving).Select(static r => r.Attempt).ToHashSet();
            Replay(change.Partition, upTo, request => !live.Contains(request.HeldByAttempt));
        }
    }

    /// <summary>An attempt ended (its server stopped or died): whatever it still holds will never be answered by it.</summary>
    public void OnAttemptEnded(int partition, int attempt) => Replay(partition, attempt, request => request.HeldByAttempt == attempt);

    /// <summary>
    /// Stops gracefully: new client requests get 503 at once, partitions go on taking and answering what was accepted
    /// (their streams stay open) until nothing is pending or the deadline passed, and only then the server stops.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        Volatile.Write(ref _stopping, true);
        var drain = System.Diagnostics.Stopwatch.StartNew();
        while (_app is not null && PendingCount > 0 && drain.Elapsed < _options.Deadline)
        {
            await Task.Delay(s_drainPoll).ConfigureAwait(false);
        }

        if (_app is not null)
        {
            await _app.StopAsync().ConfigureAwait(false);
            await _app.DisposeAsync().ConfigureAwait(false);
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        await _sweeper.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _stop.Dispose();
    }

    /// <summary>Answers 504 to every request whose deadline passed (waiting or held), freeing its queue slot.</summary>
    private async Task SweepAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(s_sweepInterval, _time);
        var expired = new List<IngressRequest>();
        while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
        {
            var oldest = _time.GetTimestamp() - (long)(_options.Deadline.TotalSeconds * _time.TimestampFrequency);
            lock (_gate)
            {
                foreach (var request in _pending.Values)
                {
                    if (request.Arrived <= oldest)
                    {
                        expired.Add(request);
                    }
                }

                foreach (var request in expired)
                {
                    Retire(request);
                }
            }

            foreach (var request in expired)
            {
                request.TryComplete(new WireReply(request.Id, StatusCodes.Status504GatewayTimeout, ProblemResponse.ToJson(
                    StatusCodes.Status504GatewayTimeout,
                    "Deadline passed",
                    $"No partition answered request {request.Id} within the head node's deadline of {_options.Deadline.TotalSeconds:0.###} s.",
                    request.Id)));
            }

            expired.Clear();
        }
    }

    // Puts back what attempts up to <upToAttempt> of <partition> hold, when <which> says so. Called outside the lock.
    private void Replay(int partition, int upToAttempt, Func<IngressRequest, bool> which)
    {
        var replayed = 0;
        lock (_gate)
        {
            foreach (var request in _pending.Values)
            {
                if (request.State == IngressRequest.Held && request.HeldByPartition == partition && request.HeldByAttempt <= upToAttempt && which(request))
                {
                    PutBack(request);
                    replayed++;
                    ServingMetrics.Replays.Add(1, ServingMetrics.Service(request.Service));
                }
            }
        }

        if (replayed > 0)
        {
            Log.Replayed(_logger, replayed, partition, upToAttempt);
        }
    }

    private int PendingCount
    {
        get
        {
            lock (_gate)
            {
                return _pending.Count;
            }
        }
    }

    /// <summary>How many requests a partition holds unanswered now (for tests and diagnostics).</summary>
    internal int CountHeld(int partition)
    {
        lock (_gate)
        {
            return _pending.Values.Count(r => r.State == IngressRequest.Held && r.HeldByPartition == partition);
        }
    }

    /// <summary>How many requests for <paramref name="service"/> wait for a partition to take them (for tests and diagnostics).</summary>
    internal int CountWaiting(string service)
    {
        lock (_gate)
        {
            return _queues[service].Count;
        }
    }

    /// <summary>Puts requests that were taken but never delivered back at the front of their queues.</summary>
    private void Requeue(List<IngressRequest> requests)
    {
        lock (_gate)
        {
            foreach (var request in requests)
            {
                if (request.State == IngressRequest.Held)
                {
                    PutBack(request);
                }
            }
        }
    }

    /// <summary>A held request waits again, at the front of its queue. The caller holds <c>_gate</c>.</summary>
    private void PutBack(IngressRequest request)
    {
        request.State = IngressRequest.Waiting;
        request.HeldByPartition = request.HeldByAttempt = -1;
        _queues[request.Service].Requeue(request);
        ServingMetrics.QueuedRequests.Add(1, ServingMetrics.Service(request.Service));
    }

    /// <summary>
    /// Whether a partition attempt may take work now. Fenced: a newer attempt replaced it, or its replica failed or
    /// stopped (it never takes work again). Lost: declared lost (a node cut off, say); it takes nothing until it
    /// answers health checks again, and what it held was replayed. Suspected while another attempt stands well: it takes
    /// nothing new for now (as routers send a suspect nothing), but its answers are heard. Otherwise current.
    /// </summary>
    private static AttemptStanding Standing(DirectorySnapshot snapshot, int partition, int attempt)
    {
        var replicas = snapshot[partition].Replicas;
        foreach (var replica in replicas)
        {
            if (replica.Attempt == attempt)
            {
                return replica.State switch
                {
                    PartitionState.Serving when replica.Suspected && snapshot.Partitions.Any(static p => p.HasHealthyReplica) => AttemptStanding.Suspected,
                    PartitionState.Serving => AttemptStanding.Current,
                    PartitionState.Lost => AttemptStanding.Lost,
                    _ => AttemptStanding.Fenced,
                };
            }
        }

        // Not a replica's attempt: stale if a replica runs a newer one; else a coordinator that admits any attempt.
        return replicas.Any(r => r.Attempt > attempt) ? AttemptStanding.Fenced : AttemptStanding.Current;
    }

    private enum AttemptStanding
    {
        Current,
        Suspected,
        Lost,
        Fenced,
    }

    private string NextId() => "h." + Interlocked.Increment(ref _nextId).ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static partial class Log
    {
        [LoggerMessage(EventId = 440, Level = LogLevel.Warning, Message = "Head node: replaying {Count} unanswered requests held by partition {Partition} (attempts up to {Attempt}).")]
        public static partial void Replayed(ILogger logger, int count, int partition, int attempt);

        [LoggerMessage(EventId = 441, Level = LogLevel.Debug, Message = "Head node: late, duplicate or fenced answer for request {RequestId} (from partition {Partition} attempt {Attempt}; -1: unnamed) ignored.")]
        public static partial void Duplicate(ILogger logger, string requestId, int partition, int attempt);

        [LoggerMessage(EventId = 442, Level = LogLevel.Debug, Message = "Head node: a pull by partition {Partition} attempt {Attempt} ended before its batch was delivered; {Count} requests go back to the queue.")]
        public static partial void PullAborted(ILogger logger, int partition, int attempt, int count);
    }
}
