using System.Collections.Concurrent;
using System.Net.Http.Headers;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Partitioned.Coordination;
using Partitioned.Routing;
using Partitioned.Security;
using Partitioned.Shared;

namespace Partitioned.Serving;

/// <summary>
/// Distributed mode's front: one address for clients, <c>POST /serve/{name}</c> relayed to a live partition replica
/// picked by the balancer, through the one resend loop (<see cref="ResendLoop"/>). A request that never reached a
/// replica (the connection could not be made) is tried on another. For an idempotent service (announced by the
/// replicas, or its answers carry <c>Partitioned-Idempotent: true</c>) a request whose replica dies, is suspected or
/// lost, or outlives the service's observed latency is sent to another replica, within the gateway's deadline. Any
/// other request gets 502 at once when its replica dies or is declared lost (a node cut off the network), never the
/// deadline.
/// </summary>
internal sealed partial class ServingGateway : IAsyncDisposable
{
    // Beyond the serving deadline: the partition's own deadline answers first; this one covers a partition that cannot.
    private static readonly TimeSpan s_deadlineSlack = TimeSpan.FromSeconds(5);

    private readonly ServingOptions _options;
    private readonly PartitionBalancer _balancer;

    // An invoker, not an HttpClient: the gateway needs no base address or default headers, and enforces its own
    // deadline with one linked token per request.
    private readonly HttpMessageInvoker _upstream;
    private readonly ILogger _logger;
    private readonly WebApplication _app;

    private readonly ConcurrentDictionary<(Uri Endpoint, string Name), Uri> _targets = new();

    // Services known to be idempotent, learned from their answers' header (replicas also announce them in a label).
    private readonly ConcurrentDictionary<string, bool> _idempotent = new(StringComparer.Ordinal);

    // Observed answers per service that answered 2xx: the per-try timeout of idempotent requests.
    private readonly ConcurrentDictionary<string, RoundTripEstimate> _latency = new(StringComparer.Ordinal);

    private ServingGateway(ServingOptions options, PartitionDirectory directory, ILoggerFactory loggerFactory, WebApplication app, TransportSecurity transport)
    {
        _options = options;
        _directory = directory;
        _balancer = new PartitionBalancer(directory, options.LoadBalancing) { Hedging = options.Hedging };
        _logger = loggerFactory.CreateLogger<ServingGateway>();
        _app = app;
        _upstream = new HttpMessageInvoker(PinnedTrust.Apply(
            new SocketsHttpHandler
            {
                UseProxy = false,
                AllowAutoRedirect = false,
                UseCookies = false,
                ConnectTimeout = TimeSpan.FromSeconds(2),
                PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30),
            },
            transport.TrustedAuthorities));
    }

    public Uri Address { get; private set; } = null!;

    public static async Task<ServingGateway> StartAsync(ServingOptions options, PartitionDirectory directory, ILoggerFactory loggerFactory, TransportSecurity transport, CancellationToken cancellationToken)
    {
        KestrelApp.TryParseBindAddress(options.BindAddress, out var address);
        var builder = KestrelApp.CreateBuilder("Partitioned.Gateway", loggerFactory, address, options.Port, drainTimeout: options.Deadline, FrontTls.Certificate(transport));
        var app = builder.Build();
        var gateway = new ServingGateway(options, directory, loggerFactory, app, transport);
        app.UseMethodNotAllowedProblems();
        app.UseNotFoundProblems("POST /serve/{name}");
        app.MapPost("/serve/{name}", gateway.RelayAsync);
        try
        {
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
            gateway.Address = KestrelApp.GetBoundAddress(app, advertisedHost: null);
        }
        catch
        {
            await gateway.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return gateway;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
        _upstream.Dispose();
    }

    private async Task RelayAsync(HttpContext context)
    {
        var name = (string)context.Request.RouteValues["name"]!;
        if (!IsAnnounced(name))
        {
            // Refused before anything is relayed or counted: only names a serving replica announces get that far.
            await RefuseUnknownAsync(context.Response, name).ConfigureAwait(false);
            return;
        }

        // Refused here, not relayed: no partition would take it either.
        if (JsonMediaType.Refusal(context.Request.ContentType) is { } refusal)
        {
            await ProblemResponse.RefuseAsync(context.Response, name, StatusCodes.Status415UnsupportedMediaType, "Unsupported media type", refusal).ConfigureAwait(false);
            return;
        }

        var body = await RequestBody.ReadAsync(context.Request, _options.MaxRequestBodySize, context.RequestAborted).ConfigureAwait(false);
        try
        {
            if (body.TooLarge)
            {
                await ProblemResponse.WriteAsync(context.Response, StatusCodes.Status413PayloadTooLarge, "Request too large", $"The request body is larger than the gateway's limit of {_options.MaxRequestBodySize} bytes.").ConfigureAwait(false);
                return;
            }

            // The relay's span; the handler sends its traceparent on (or the client's, when nothing traces here).
            using var relay = ServingMetrics.Activities.StartActivity("serve.relay", System.Diagnostics.ActivityKind.Client, TraceContext.Of(context));
            relay?.SetTag(ServingTelemetry.ServiceAttribute, name);
            var latency = _latency.GetValueOrDefault(name);
            try
            {
                await _balancer.Loop.SendAsync<Relay, bool>(new Relay(this, context, name, body, _balancer.Hedging is null ? null : new Claim()), -1, _options.Deadline + s_deadlineSlack, latency, context.RequestAborted).ConfigureAwait(false);
                if (latency is null && context.Response.StatusCode is >= 200 and < 300)
                {
                    // Only a service that answered gets an estimate: names callers make up never do.
                    _latency.TryAdd(name, new RoundTripEstimate());
                }
            }
            catch (ResendFailedException ex) when (!context.RequestAborted.IsCancellationRequested)
            {
                await FailAsync(context, ex).ConfigureAwait(false);
            }
        }
        finally
        {
            body.Return();
        }
    }

    private async Task FailAsync(HttpContext context, ResendFailedException failure)
    {
        if (failure.Target is { } target)
        {
            Log.RelayFailed(_logger, target.Partition, target.Endpoint, failure.Message);
        }

        if (context.Response.HasStarted)
        {
            // Part of the answer is already on its way: break the connection rather than let a cut body end like a complete one.
            context.Abort();
            return;
        }

        var (status, title) = failure.Failure switch
        {
            TryFailure.NoReplica => (StatusCodes.Status503ServiceUnavailable, "No partition is live"),
            TryFailure.NotSent => (StatusCodes.Status502BadGateway, "Partition unreachable"),
            TryFailure.ReplicaLost => (StatusCodes.Status502BadGateway, "Partition replica lost"),
            TryFailure.DeadlinePassed or TryFailure.TryTimedOut => (StatusCodes.Status504GatewayTimeout, "Partition did not answer"),
            _ => (StatusCodes.Status502BadGateway, "Partition failed"),
        };
        var detail = failure.Failure == TryFailure.NoReplica
            ? "Every partition is lost, failed, stopped or not yet registered; retry later."
            : $"{failure.Message} {(failure.MayHaveBeenProcessed ? "The request may or may not have been processed; it was not sent again (the service is not idempotent, or no other replica was left)." : "The request was not processed.")}";
        await ProblemResponse.WriteAsync(context.Response, status, title, detail, retryAfter: status == StatusCodes.Status503ServiceUnavailable ? TimeSpan.FromSeconds(1) : null).ConfigureAwait(false);
    }

    // The replica's registration label says so from the start; an answer's header says so too (and covers a partition
    // server whose label was too long to announce).
    private bool IsIdempotent(string name, in ReplicaTarget target) => _idempotent.ContainsKey(name) || _balancer.AnnouncesIdempotent(target, name);

    // One try on one replica: send the body, copy the answer to the client. With hedging, two tries may run at once:
    // only the one whose answer came first (that takes the claim) writes it.
    private async Task<bool> TryRelayAsync(HttpContext context, string name, RequestBody body, ReplicaTarget target, Claim? claim, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, Target(target.Endpoint, name))
        {
            Content = new ReadOnlyMemoryContent(body.Memory),
        };
        if (System.Diagnostics.Activity.Current is null && context.Request.Headers.TraceParent is [{ } traceParent])
        {
            request.Headers.TryAddWithoutValidation("traceparent", traceParent);
        }

        request.Content.Headers.ContentType = context.Request.ContentType is { } type && type != "application/json" && MediaTypeHeaderValue.TryParse(type, out var parsed)
            ? parsed
            : ServingWire.JsonContentType;
        using var response = await _upstream.SendAsync(request, cancellationToken).ConfigureAwait(false);
        if (response.Headers.NonValidated.Contains(ServingWire.IdempotentHeader))
        {
            _idempotent.TryAdd(name, true);
        }

        _balancer.Loop.Selector.ObserveQueue(target, response.Headers);
        if (claim is not null && !claim.TryTake())
        {
            throw new HedgeLostException();
        }

        try
        {
            await CopyAsync(context, response, cancellationToken).ConfigureAwait(false);
        }
        catch when (claim is not null && !context.Response.HasStarted)
        {
            // Nothing reached the client: the other try (or a resend) may still answer.
            claim.Release();
            throw;
        }

        return true;
    }

    private static async Task CopyAsync(HttpContext context, HttpResponseMessage response, CancellationToken cancellationToken)
    {
        // Headers are copied as they came (no typed parsing), and the length is passed on, so the answer is not
        // re-framed as chunked: both are per-request costs that showed in the gateway's profile.
        context.Response.StatusCode = (int)response.StatusCode;
        if (response.Content.Headers.NonValidated.TryGetValues("Content-Type", out var contentType))
        {
            context.Response.ContentType = contentType.ToString();
        }

        if (response.Content.Headers.NonValidated.TryGetValues("Content-Length", out var length) && long.TryParse(length.ToString(), out var contentLength))
        {
            context.Response.ContentLength = contentLength;
        }

        if (response.Headers.NonValidated.TryGetValues("Retry-After", out var retryAfter))
        {
            context.Response.Headers.RetryAfter = retryAfter.ToString();
        }

        await response.Content.CopyToAsync(context.Response.Body, cancellationToken).ConfigureAwait(false);
    }

    // The upstream URI of a service on an endpoint, built once: parsing a Uri per request is measurable at 30k req/s.
    private Uri Target(Uri endpoint, string name)
    {
        var key = (endpoint, name);
        if (_targets.TryGetValue(key, out var target))
        {
            return target;
        }

        if (_targets.Count > 4096)
        {
            // Endpoints of long-gone attempts: start over rather than grow without bound.
            _targets.Clear();
        }

        return _targets[key] = SafeName.Append(endpoint, "serve", name);
    }

    /// <summary>One client request through <see cref="ResendLoop"/>.</summary>
    private readonly struct Relay(ServingGateway gateway, HttpContext context, string name, RequestBody body, Claim? claim) : IResendable<bool>
    {
        // The body is held in memory; once the answer's headers went out, nothing can be sent again.
        public bool CanResend => !context.Response.HasStarted;

        public bool IsIdempotent(in ReplicaTarget target) => gateway.IsIdempotent(name, target);

        public void Resending(in ReplicaTarget target, TryFailure failure, Exception error)
        {
            if (failure == TryFailure.NotSent)
            {
                Log.Unreachable(gateway._logger, target.Partition, target.Endpoint, error.Message);
            }
            else
            {
                Log.Resending(gateway._logger, target.Partition, target.Endpoint, $"{failure}: {error.Message}");
            }
        }

        public Task<bool> TryAsync(ReplicaTarget target, CancellationToken cancellationToken) => gateway.TryRelayAsync(context, name, body, target, claim, cancellationToken);

        // The body is held in memory and only read; the claim lets one answer through.
        public bool CanHedge => claim is not null;

        public Task<bool> HedgeAsync(ReplicaTarget target, CancellationToken cancellationToken) => TryAsync(target, cancellationToken);
    }

    /// <summary>Which of a hedged request's tries writes the answer: the first to take it.</summary>
    private sealed class Claim
    {
        private int _taken;

        public bool TryTake() => Interlocked.Exchange(ref _taken, 1) == 0;

        public void Release() => Volatile.Write(ref _taken, 0);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 430, Level = LogLevel.Warning, Message = "Gateway: partition {Partition} at {Endpoint} unreachable ({Reason}); trying another.")]
        public static partial void Unreachable(ILogger logger, int partition, Uri endpoint, string reason);

        [LoggerMessage(EventId = 431, Level = LogLevel.Warning, Message = "Gateway: partition {Partition} at {Endpoint} failed mid-request: {Reason}")]
        public static partial void RelayFailed(ILogger logger, int partition, Uri endpoint, string reason);

        [LoggerMessage(EventId = 432, Level = LogLevel.Warning, Message = "Gateway: partition {Partition} replica at {Endpoint} failed mid-request ({Reason}); the service is idempotent, so the request goes to another replica.")]
        public static partial void Resending(ILogger logger, int partition, Uri endpoint, string reason);
    }
}
