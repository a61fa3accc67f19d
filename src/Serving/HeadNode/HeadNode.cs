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
using Partitioned.Security;
using Partitioned.Shared;

namespace Partitioned.Serving;

/// <summary>
/// Head-node mode on the driver: holds every client connection (<see cref="HeadNodeFront"/>), keeps what it accepted in
/// <see cref="PendingRequests"/>, and hands it to partitions over their transport (<see cref="PartitionStreams"/>, or
/// <see cref="LongPollRoutes"/> through the coordinator), routing each answer back to its connection. A request taken
/// by an attempt that dies before answering is put back at the front of the queue for the next attempt (or another
/// partition): accepted work is not lost. Every request still gets exactly one answer, or 504 at its deadline. The
/// folder's README follows one request through.
/// </summary>
internal sealed class HeadNode : IAsyncDisposable
{
    private static readonly TimeSpan s_drainPoll = TimeSpan.FromMilliseconds(20);

    private readonly ServingOptions _options;
    private readonly TimeProvider _time;
    private readonly ILoggerFactory _loggerFactory;
    private readonly PendingRequests _requests;
    private readonly HeadNodeFront _front;
    private readonly LongPollRoutes _longPoll;
    private readonly CancellationTokenSource _stop = new();
    private WebApplication? _app;
    private Task _sweeper = Task.CompletedTask;

    // Opens the partitions' request streams; handed out only through the coordinator's token-protected /v1/serving.
    private readonly ClusterToken _streamKey = ClusterToken.Create();

    public HeadNode(ServingOptions options, ILoggerFactory loggerFactory, TimeProvider time)
    {
        _options = options;
        _time = time;
        _loggerFactory = loggerFactory;
        _requests = new PendingRequests(options, time, loggerFactory.CreateLogger<HeadNode>());
        _front = new HeadNodeFront(_requests, options, time);
        _longPoll = new LongPollRoutes(_requests, time);
    }

    /// <summary>Where clients send requests (<c>POST /serve/{name}</c>).</summary>
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
        _requests.Attach(directory);
        _front.Attach(directory);
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
            builder.Services.AddSingleton(new PartitionStreams(_requests, directory, _streamKey, _time));
        }

        var app = builder.Build();
        app.UseMethodNotAllowedProblems();
        app.UseNotFoundProblems("POST /serve/{name}");
        app.MapPost("/serve/{name}", _front.ServeAsync);
        if (streams is not null)
        {
            app.MapGrpcService<PartitionStreams>();
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
        _sweeper = _requests.SweepAsync(_stop.Token);
    }

    /// <summary>
    /// The routes partitions call, mapped into the coordinator's token-protected <c>/v1</c> group: where the head node
    /// takes them (<c>GET /v1/serving</c>), and the long-poll transport.
    /// </summary>
    public void MapPartitionRoutes(IEndpointRouteBuilder v1)
    {
        v1.MapGet("/serving", () => _options.HeadNodeTransport == HeadNodeTransport.GrpcStream && StreamAddress is null
            // The head node starts once every partition serves: until its stream listener is up, partitions ask again.
            ? ProblemResponse.Result(StatusCodes.Status503ServiceUnavailable, "Head node starting", "The head node's stream listener is not up yet; ask again.")
            : Results.Json(new HeadNodeInfo([.. _requests.Services], StreamAddress?.ToString(), StreamAddress is null ? null : _streamKey.Value), ProtocolJson.Options));
        _longPoll.Map(v1);
    }

    /// <summary>The directory changed: what a dead (or, for idempotent services, suspected) attempt held is replayed.</summary>
    public void OnPartitionChanged(PartitionChange change) => _requests.OnPartitionChanged(change);

    /// <summary>An attempt ended (its server stopped or died): whatever it still holds will never be answered by it.</summary>
    public void OnAttemptEnded(int partition, int attempt) => _requests.OnAttemptEnded(partition, attempt);

    /// <summary>How many requests a partition holds unanswered now (for tests and diagnostics).</summary>
    internal int CountHeld(int partition) => _requests.CountHeld(partition);

    /// <summary>How many requests for <paramref name="service"/> wait for a partition to take them (for tests and diagnostics).</summary>
    internal int CountWaiting(string service) => _requests.CountWaiting(service);

    /// <summary>
    /// Stops gracefully: new client requests get 503 at once, partitions go on taking and answering what was accepted
    /// (their streams stay open) until nothing is pending or the deadline passed, and only then the server stops.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        _front.StopTaking();
        var drain = System.Diagnostics.Stopwatch.StartNew();
        while (_app is not null && _requests.Count > 0 && drain.Elapsed < _options.Deadline)
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
}
