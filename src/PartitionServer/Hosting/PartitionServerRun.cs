using System.Runtime.CompilerServices;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Partitioned.Protocol;
using Partitioned.Shared;

namespace Partitioned.Server;

/// <summary>
/// One attempt of one partition server, start to finish: initialise from rows, listen, register the bound
/// address, serve until shutdown, drain, produce results. Any failure is reported to the coordinator
/// (best effort) and rethrown, so the runner can re-launch the attempt.
/// </summary>
internal sealed partial class PartitionServerRun<TRow, TResult> : IPartitionControl
{
    private readonly PartitionServer<TRow, TResult> _server;
    private readonly PartitionLaunch _launch;
    private readonly IAsyncEnumerable<TRow> _rows;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private long _rowsRead;
    private int _inFlight;
    private volatile PartitionServerState _state = PartitionServerState.Initializing;
    private string _phase = "initialisation";
    private readonly PartitionFeatures _features = new();
    private AttemptCertificate? _certificate;

    private static readonly PathString HealthPath = new("/control/health");

    /// <summary>How long past the drain time Kestrel keeps connections open, for the answers features give when they stop waiting.</summary>
    private static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(1);

    public PartitionServerRun(PartitionServer<TRow, TResult> server, PartitionLaunch launch, IAsyncEnumerable<TRow> rows, ILoggerFactory loggerFactory, TimeProvider time)
    {
        _server = server;
        _launch = launch;
        _rows = rows;
        _loggerFactory = loggerFactory;
        _time = time;
        _logger = loggerFactory.CreateLogger("Partitioned.Server.PartitionServer");
    }

    public async Task<IReadOnlyList<TResult>> RunAsync(CancellationToken cancellationToken)
    {
        using var scope = Log.BeginPartitionScope(_logger, _launch.Partition, _launch.Attempt);
        using var coordinator = new CoordinatorClient(_launch.Coordinator, _launch.Token, _time, _logger, _launch.Tls);
        using var stopping = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var membership = _launch.Executor?.Join(_launch.Partition, _launch.Attempt, () => StateName);
        var context = new PartitionContext(_launch, _loggerFactory, _loggerFactory.CreateLogger(_server.GetType()), _time, stopping.Token);
        var featuresStopped = false;
        var renewing = Task.CompletedTask;
        try
        {
            _server.Attach(context);
            await _server.InitializeAsync(CountRows(cancellationToken), cancellationToken).ConfigureAwait(false);
            Log.Initialized(_logger, _rowsRead);

            _phase = "starting features";
            _server.ConfigureFeatures(_features);
            foreach (var feature in _features.All)
            {
                await feature.StartAsync(context, cancellationToken).ConfigureAwait(false);
            }

            // Checked here, so a bad label fails the attempt with its own message rather than as a refused registration.
            if (PartitionLabels.Check(context.Labels) is { Count: > 0 } labelProblems)
            {
                throw new InvalidOperationException("PartitionContext.Labels: " + string.Join(" ", labelProblems));
            }

            // Under TLS the certificate names the host this attempt will advertise, so that host is settled first.
            string? tlsHost = null;
            if (_launch.Tls is not null)
            {
                _phase = "getting a TLS certificate";
                KestrelApp.TryParseBindAddress(_launch.Server.BindAddress, out var bind);
                tlsHost = KestrelApp.AdvertisedHost(bind, _launch.Server.AdvertisedHost, _launch.Coordinator);
                _certificate = await AttemptCertificate.ObtainAsync(_launch, tlsHost, coordinator, _time, _logger, cancellationToken).ConfigureAwait(false);
                renewing = _certificate.RenewAsync(stopping.Token);
            }

            _phase = "listening";
            var app = await ListenAsync(cancellationToken).ConfigureAwait(false);
            await using (app.ConfigureAwait(false))
            {
                var address = KestrelApp.GetBoundAddress(app, tlsHost ?? _launch.Server.AdvertisedHost, _launch.Coordinator);
                context.Endpoint = address;
                _state = PartitionServerState.Serving;
                Log.Listening(_logger, address);

                // Only now, with Kestrel accepting connections, does the coordinator learn the address.
                _phase = "registration";
                var registration = new RegistrationRequest(_launch.Partition, _launch.Attempt, address.ToString(), _launch.Node ?? Environment.MachineName)
                {
                    Labels = context.Labels.Count == 0 ? null : new Dictionary<string, string>(context.Labels, StringComparer.Ordinal),
                    Executor = _launch.Executor?.Id,
                };
                var accepted = await coordinator.RegisterAsync(registration, _launch.Server.RegistrationTimeout, cancellationToken).ConfigureAwait(false);
                Log.Registered(_logger, address, accepted.Version);

                _phase = "serving";
                await WaitForShutdownAsync(app, cancellationToken).ConfigureAwait(false);

                _phase = "stopping";
                _state = PartitionServerState.Stopping;
                await stopping.CancelAsync().ConfigureAwait(false);
                Log.Draining(_logger, _inFlight, _launch.Server.DrainTimeout);

                // Features drain alongside Kestrel, not after it: work a feature holds is often an HTTP request
                // Kestrel is waiting for. When the drain time runs out the feature answers what it still holds
                // (503) while those connections are open; Kestrel waits a little longer (StopGrace) to send that.
                using var drain = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                drain.CancelAfter(_launch.Server.DrainTimeout);
                featuresStopped = true;
                var featuresStopping = StopFeaturesAsync(drain.Token);
                try
                {
                    await app.StopAsync(cancellationToken).ConfigureAwait(false);
                }
                finally
                {
                    _phase = "stopping features";
                    await featuresStopping.ConfigureAwait(false);
                }
            }

            _phase = "producing results";
            var results = new List<TResult>();
            await foreach (var result in _server.ProduceResultsAsync(cancellationToken).ConfigureAwait(false))
            {
                results.Add(result);
            }

            Log.Stopped(_logger, results.Count);
            return results;
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            var message = $"{_phase} failed: {PartitionAttemptException.Describe(ex)}";
            Log.AttemptFailed(_logger, message, ex);

            // A refused registration was already answered by the coordinator; anything else it has not heard of.
            if (ex is not RegistrationFailedException { StatusCode: not null })
            {
                await coordinator.TryReportFailureAsync(new FailureReport(_launch.Partition, _launch.Attempt, message), CancellationToken.None).ConfigureAwait(false);
            }

            throw new PartitionAttemptException(message, ex);
        }
        finally
        {
            _state = PartitionServerState.Stopped;
            await stopping.CancelAsync().ConfigureAwait(false);
            await renewing.ConfigureAwait(false);
            if (!featuresStopped)
            {
                await StopFeaturesQuietlyAsync().ConfigureAwait(false);
            }

            // The certificate goes last: on a cancelled run Kestrel still accepts connections until it is disposed, and a
            // handshake with a disposed certificate fails (a caller saw "not a server certificate" and a broken request).
            await DisposeServerAsync().ConfigureAwait(false);
            _certificate?.Dispose();
        }
    }

    public PartitionHealth GetHealth() => new(StateName, _launch.ClusterId, _launch.Partition, _launch.Attempt, Interlocked.Read(ref _rowsRead), Volatile.Read(ref _inFlight))
    {
        Executor = _launch.Executor?.Id,
        Members = _launch.Executor?.Snapshot(),
    };

    private string StateName => _state.ToString().ToLowerInvariant();

    /// <summary>Binds the first free port of the configured range; each port is bound once, by Kestrel itself.</summary>
    private async Task<WebApplication> ListenAsync(CancellationToken cancellationToken)
    {
        KestrelApp.TryParseBindAddress(_launch.Server.BindAddress, out var address);
        Exception? lastInUse = null;
        foreach (var port in _launch.Server.Ports.Ports)
        {
            var app = BuildApp(address, port);
            try
            {
                await app.StartAsync(cancellationToken).ConfigureAwait(false);
                return app;
            }
            catch (Exception ex) when (KestrelApp.IsAddressInUse(ex) && !cancellationToken.IsCancellationRequested)
            {
                lastInUse = ex;
                await app.DisposeAsync().ConfigureAwait(false);
            }
            catch
            {
                await app.DisposeAsync().ConfigureAwait(false);
                throw;
            }
        }

        throw new PartitionedException($"No free port in {_launch.Server.Ports} on {_launch.Server.BindAddress}: every port was in use.", lastInUse);
    }

    private WebApplication BuildApp(System.Net.IPAddress address, int port)
    {
        var certificate = _certificate;
        var builder = KestrelApp.CreateBuilder($"Partitioned.Partition{_launch.Partition}", _loggerFactory, address, port, _launch.Server.DrainTimeout + StopGrace, certificate is null ? null : () => certificate.Current);
        builder.Services.AddSingleton(_server.GetType(), _server);
        builder.Services.AddProblemDetails(options => options.CustomizeProblemDetails = DescribeBadRequest);
        builder.Services.Configure<RouteHandlerOptions>(options => options.ThrowOnBadRequest = true);
        builder.Services.Configure<ExceptionHandlerOptions>(options => options.StatusCodeSelector = static exception =>
            exception is BadHttpRequestException bad ? bad.StatusCode : StatusCodes.Status500InternalServerError);
        builder.Services.Configure<JsonOptions>(options =>
        {
            // The user's routes read JSON by the library's strict rules too (no numbers from strings, no silent nulls);
            // ConfigureServices below can change that.
            ProtocolJson.ApplyStrictRules(options.SerializerOptions);
            options.SerializerOptions.Converters.Add(new System.Text.Json.Serialization.JsonStringEnumConverter());
        });
        foreach (var feature in _features.All)
        {
            feature.ConfigureServices(builder.Services);
        }

        _server.ConfigureServices(builder.Services);

        var app = builder.Build();
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.Use(CountInFlight);
        app.UseMethodNotAllowedProblems();
        app.UseNotFoundProblems("the server's own under /app/, its services at POST /serve/{name}, and /control/ (cluster token)");
        var control = ControlEndpoints.Map(app, this, _launch.Token);
        foreach (var feature in _features.All)
        {
            feature.MapEndpoints(app, control);
        }

        _server.MapRoutes(app.MapGroup("/app"));
        return app;
    }

    private async Task CountInFlight(HttpContext context, RequestDelegate next)
    {
        // The health route reports the count: counting itself, it would never read 0.
        if (context.Request.Path.Equals(HealthPath, StringComparison.OrdinalIgnoreCase))
        {
            await next(context).ConfigureAwait(false);
            return;
        }

        Interlocked.Increment(ref _inFlight);
        try
        {
            await next(context).ConfigureAwait(false);
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
        }
    }

    // The framework's 400 for a body or parameter that does not bind says only "Bad Request"; name what failed.
    private static void DescribeBadRequest(ProblemDetailsContext context)
    {
        if (context.Exception is BadHttpRequestException bad)
        {
            context.ProblemDetails.Detail = bad.InnerException is { } inner ? $"{bad.Message} {inner.Message}" : bad.Message;
        }
    }

    private static async Task WaitForShutdownAsync(WebApplication app, CancellationToken cancellationToken)
    {
        var shutdown = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var onStop = app.Lifetime.ApplicationStopping.Register(() => shutdown.TrySetResult());
        await shutdown.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    private async IAsyncEnumerable<TRow> CountRows([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var row in _rows.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            Interlocked.Increment(ref _rowsRead);
            yield return row;
        }
    }

    // Reverse order, like a host's services: a feature may depend on one added before it.
    private async Task StopFeaturesAsync(CancellationToken cancellationToken)
    {
        for (var i = _features.All.Count - 1; i >= 0; i--)
        {
            await _features.All[i].StopAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task StopFeaturesQuietlyAsync()
    {
        try
        {
            using var expired = new CancellationTokenSource(TimeSpan.Zero);
            await StopFeaturesAsync(expired.Token).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            Log.DisposeFailed(_logger, ex);
        }
    }

    private async ValueTask DisposeServerAsync()
    {
        try
        {
            switch (_server)
            {
                case IAsyncDisposable asyncDisposable:
                    await asyncDisposable.DisposeAsync().ConfigureAwait(false);
                    break;
                case IDisposable disposable:
                    disposable.Dispose();
                    break;
            }
        }
        catch (Exception ex)
        {
            Log.DisposeFailed(_logger, ex);
        }
    }
}
