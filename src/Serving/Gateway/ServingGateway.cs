using System.Collections.Concurrent;
using System.Net.Http.Headers;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Partitioned.Coordination;
using Partitioned.Shared;

namespace Partitioned.Serving;

/// <summary>
/// Distributed mode's front: one address for clients, <c>POST /serve/{name}</c> relayed to a live partition replica
/// picked by the balancer. A request that never reached a replica (the connection could not be made) is tried on
/// another. A replica that dies mid-request gives the client a 502 at once, unless the service is idempotent (its
/// answers carry <c>Partitioned-Idempotent: true</c>): then the request is sent once more to another replica, within
/// the gateway's deadline. A failed replica is set aside until it answers again.
/// </summary>
internal sealed partial class ServingGateway : IAsyncDisposable
{
    private const int MaxTries = 3;

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

    private ServingGateway(ServingOptions options, PartitionDirectory directory, ILoggerFactory loggerFactory, WebApplication app)
    {
        _options = options;
        _directory = directory;
        _balancer = new PartitionBalancer(directory, options.LoadBalancing);
        _logger = loggerFactory.CreateLogger<ServingGateway>();
        _app = app;
        _upstream = new HttpMessageInvoker(new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            UseCookies = false,
            ConnectTimeout = TimeSpan.FromSeconds(2),
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30),
        });
    }

    public Uri Address { get; private set; } = null!;

    public static async Task<ServingGateway> StartAsync(ServingOptions options, PartitionDirectory directory, ILoggerFactory loggerFactory, CancellationToken cancellationToken)
    {
        KestrelApp.TryParseBindAddress(options.BindAddress, out var address);
        var builder = KestrelApp.CreateBuilder("Partitioned.Gateway", loggerFactory, address, options.Port, drainTimeout: options.Deadline);
        var app = builder.Build();
        var gateway = new ServingGateway(options, directory, loggerFactory, app);
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

            Uri? excluded = null;
            var resent = false;
            var deadlineAt = Environment.TickCount64 + (long)(_options.Deadline + TimeSpan.FromSeconds(5)).TotalMilliseconds;
            for (var tries = 1; ; tries++)
            {
                if (!_balancer.TryPick(-1, excluded, out var host))
                {
                    await ProblemResponse.WriteAsync(context.Response, StatusCodes.Status503ServiceUnavailable, "No partition is live",
                        "Every partition is lost, failed, stopped or not yet registered; retry later.", retryAfter: TimeSpan.FromSeconds(1)).ConfigureAwait(false);
                    return;
                }

                var (partition, endpoint) = (host.Partition, host.Endpoint);
                var reached = false;
                try
                {
                    // The relay's span; the handler sends its traceparent on (or the client's, when nothing traces here).
                    using var relay = ServingMetrics.Activities.StartActivity("serve.relay", System.Diagnostics.ActivityKind.Client, TraceContext.Of(context));
                    relay?.SetTag(ServingTelemetry.ServiceAttribute, name);
                    using var request = new HttpRequestMessage(HttpMethod.Post, Target(endpoint, name))
                    {
                        Content = new ReadOnlyMemoryContent(body.Buffer.AsMemory(0, body.Length)),
                    };
                    if (System.Diagnostics.Activity.Current is null && context.Request.Headers.TraceParent is [{ } traceParent])
                    {
                        request.Headers.TryAddWithoutValidation("traceparent", traceParent);
                    }

                    request.Content.Headers.ContentType = context.Request.ContentType is { } type && type != "application/json" && MediaTypeHeaderValue.TryParse(type, out var parsed)
                        ? parsed
                        : ServingWire.JsonContentType;
                    using var deadline = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
                    deadline.CancelAfter(TimeSpan.FromMilliseconds(Math.Max(1, deadlineAt - Environment.TickCount64)));
                    using var response = await _upstream.SendAsync(request, deadline.Token).ConfigureAwait(false);
                    if (response.Headers.NonValidated.Contains(ServingWire.IdempotentHeader))
                    {
                        _idempotent.TryAdd(name, true);
                    }

                    // Headers are copied as they came (no typed parsing), and the length is passed on, so the answer
                    // is not re-framed as chunked: both are per-request costs that showed in the gateway's profile.
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

                    await response.Content.CopyToAsync(context.Response.Body, context.RequestAborted).ConfigureAwait(false);
                    reached = true;
                    return;
                }
                catch (HttpRequestException ex) when (ResendRules.IsConnectFailure(ex) && tries < MaxTries && !context.RequestAborted.IsCancellationRequested)
                {
                    // Nothing was sent: safe to try another partition.
                    Log.Unreachable(_logger, partition, endpoint, ex.Message);
                    excluded = endpoint;
                }
                catch (HttpRequestException ex) when (!resent && IsIdempotent(name, host) && !context.Response.HasStarted && !context.RequestAborted.IsCancellationRequested && Environment.TickCount64 < deadlineAt)
                {
                    // The replica died holding the request; the service is idempotent, so another replica gets it, once.
                    Log.Resending(_logger, partition, endpoint, ex.Message);
                    excluded = endpoint;
                    resent = true;
                }
                catch (Exception ex) when (ex is HttpRequestException or OperationCanceledException or IOException && !context.RequestAborted.IsCancellationRequested)
                {
                    Log.RelayFailed(_logger, partition, endpoint, ex.Message);
                    if (context.Response.HasStarted)
                    {
                        // Part of the answer is already on its way: break the connection rather than let a cut
                        // body end like a complete one.
                        context.Abort();
                    }
                    else
                    {
                        var (status, title) = ex is OperationCanceledException
                            ? (StatusCodes.Status504GatewayTimeout, "Partition did not answer")
                            : (StatusCodes.Status502BadGateway, "Partition failed");
                        await ProblemResponse.WriteAsync(context.Response, status, title,
                            $"Partition {partition} at {endpoint} failed while handling the request: {ex.Message}. The request may or may not have been processed; it was not retried.").ConfigureAwait(false);
                    }

                    return;
                }
                finally
                {
                    _balancer.Complete(host, reached);
                }
            }
        }
        finally
        {
            body.Return();
        }
    }

    // The replica's registration label says so from the start; an answer's header says so too (and covers a partition
    // server whose label was too long to announce).
    private bool IsIdempotent(string name, PartitionBalancer.Host host) => _idempotent.ContainsKey(name) || _balancer.AnnouncesIdempotent(host, name);

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
