using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Partitioned.Shared;

namespace Partitioned.Coordination;

/// <summary>
/// The driver-side coordinator: a Kestrel server hosting the <see cref="PartitionDirectory"/> behind the
/// JSON-over-HTTP protocol documented in the README (<c>/v1/register</c>, <c>/v1/failures</c>,
/// <c>/v1/hosts</c>, <c>/v1/status</c>) and the gRPC directory service, and a health monitor that marks silent
/// partitions lost.
/// </summary>
/// <remarks>
/// Composed of modules (<see cref="ICoordinatorModule"/>): its own, and those the assemblies that own them add (the
/// cluster's worker routes, the head node's routes).
/// </remarks>
public sealed partial class Coordinator : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly PartitionHealthMonitor _health;
    private readonly ILogger _logger;
    private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _stopping;

    private Coordinator(WebApplication app, PartitionDirectory directory, PartitionHealthMonitor health, Uri address, Uri? grpcAddress, ILogger logger)
    {
        _app = app;
        Directory = directory;
        _health = health;
        Address = address;
        GrpcAddress = grpcAddress;
        _logger = logger;
    }

    /// <summary>The address the coordinator listens on (port resolved), which partitions register with.</summary>
    public Uri Address { get; }

    /// <summary>
    /// The coordinator's HTTP/2-only listener, serving the gRPC directory service (<c>protos/partitioned/v1/directory.proto</c>)
    /// to clients holding the token or a client key; null when <see cref="CoordinatorOptions.GrpcPort"/> is -1.
    /// </summary>
    public Uri? GrpcAddress { get; }

    /// <summary>How many health-check loops run now: one per executor, or per replica in a process of its own (for tests and diagnostics).</summary>
    internal int HealthCheckLoops => _health.GroupCount;

    /// <summary>The gRPC Watch streams open now (for tests and diagnostics).</summary>
    internal WatchStreams WatchStreams { get; private init; } = null!;

    /// <summary>What each replica reported in flight at its last health check (the driver's autoscaler reads it).</summary>
    internal ReplicaLoads Loads => _health.Loads;

    /// <summary>
    /// Waits until every open gRPC Watch stream was handed directory version <paramref name="version"/> (or a later one),
    /// at most <paramref name="timeout"/>. True when they all were; false when the time ran out first.
    /// </summary>
    internal async Task<bool> WaitForWatchersAsync(long version, TimeSpan timeout, CancellationToken cancellationToken)
    {
        // Real time: this waits for sockets, which a test clock does not drive.
        var deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        while (!WatchStreams.AllSent(version))
        {
            if (Environment.TickCount64 >= deadline)
            {
                return false;
            }

            await Task.Delay(10, cancellationToken).ConfigureAwait(false);
        }

        return true;
    }

    /// <summary>The partition directory this coordinator serves.</summary>
    public PartitionDirectory Directory { get; }

    /// <summary>Starts a coordinator; it listens and checks health when the returned task completes.</summary>
    /// <exception cref="Microsoft.Extensions.Options.OptionsValidationException">The options are invalid; the message lists every problem.</exception>
    public static async Task<Coordinator> StartAsync(CoordinatorOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();

        var loggerFactory = options.LoggerFactory ?? NullLoggerFactory.Instance;
        var logger = loggerFactory.CreateLogger<Coordinator>();
        var directory = new PartitionDirectory(options.PartitionCount, options.Replicas, options.ActiveReplicas ?? options.Replicas, options.TimeProvider, logger);
        KestrelApp.TryParseBindAddress(options.BindAddress, out var bindAddress);

        var tls = options.Transport.DriverCertificate is { } certificate ? () => certificate : (Func<System.Security.Cryptography.X509Certificates.X509Certificate2>?)null;
        var builder = KestrelApp.CreateBuilder("Partitioned.Coordinator", loggerFactory, bindAddress, options.Port, drainTimeout: TimeSpan.FromSeconds(2), tls);

        // Cleartext HTTP/2 (gRPC without TLS) needs an HTTP/2-only listener: Kestrel does not negotiate h2c on one
        // that also speaks HTTP/1.1, and the JSON protocol stays on HTTP/1.1 for every existing peer. Under TLS, ALPN
        // lets HTTP/1.1 and HTTP/2 share the one listener.
        ListenOptions? grpcListener = null;
        if (options.GrpcPort >= 0 && tls is null)
        {
            builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(bindAddress, options.GrpcPort, listen =>
            {
                listen.Protocols = HttpProtocols.Http2;
                grpcListener = listen;
            }));
        }

        // Modules' routes find the directory by injection.
        var access = new CoordinatorAccess(options.Token, options.ClientKeys);
        builder.Services.AddSingleton(directory);
        builder.Services.AddSingleton(access);
        var watchStreams = new WatchStreams(options.MaxWatchStreams, options.MaxWatchStreamsPerCredential, access.CredentialCount);
        builder.Services.AddSingleton(watchStreams);
        builder.Services.AddSingleton(options);
        // No catch-all for unknown gRPC services: it would match every two-segment path, so a known JSON route called
        // with the wrong method would get 404 instead of routing's 405.
        builder.Services.AddGrpc(grpc => grpc.IgnoreUnknownServices = true);
        var app = builder.Build();
        app.UseNotFoundProblems();
        app.UseMethodNotAllowedProblems();
        Uri? grpcAddress = null;
        var routes = new CoordinatorRoutes(
            app,
            app.MapGroup("/v1").AddEndpointFilter(new CoordinatorAccessFilter(access, allowClientKeys: true)),
            app.MapGroup("/v1").AddEndpointFilter(new CoordinatorAccessFilter(access, allowClientKeys: false)));
        foreach (var module in (IEnumerable<ICoordinatorModule>)[new CoordinatorCore(directory, options, () => grpcAddress, logger), .. options.Modules])
        {
            module.Map(routes);
        }

        Uri address;
        try
        {
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
            address = KestrelApp.GetBoundAddress(app, options.AdvertisedHost);
            if (tls is not null && options.GrpcPort >= 0)
            {
                grpcAddress = address;
            }

            if (grpcListener is { IPEndPoint: { } bound })
            {
                // Kestrel writes the port it bound back into the listen options; the host is the one peers dial.
                grpcAddress = new UriBuilder(address) { Port = bound.Port }.Uri;
                if (address.Port == bound.Port)
                {
                    throw new InvalidOperationException("The coordinator's gRPC listener reported the JSON listener's port.");
                }
            }
        }
        catch
        {
            await app.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        var health = new PartitionHealthMonitor(directory, options, loggerFactory.CreateLogger<PartitionHealthMonitor>());
        health.Start();
        Log.Started(logger, address, options.PartitionCount);
        return new Coordinator(app, directory, health, address, grpcAddress, logger) { WatchStreams = watchStreams };
    }

    /// <summary>
    /// Records an error of a partition attempt, as the driver learned it (for example, the attempt's process died).
    /// A serving partition whose current attempt errs is no longer live: it becomes lost. Stale attempts are ignored.
    /// </summary>
    /// <returns>False when the report was ignored.</returns>
    public bool ReportError(int partition, int attempt, string message) => Directory.ReportError(partition, attempt, message);

    /// <summary>
    /// Admits an attempt the driver launched or assigned. Once a partition has an admitted attempt, only that attempt
    /// may register: a lower one is stale and a higher one was never launched, so nobody (even holding the token) can
    /// replace a live partition with an attempt the driver does not know. A coordinator whose driver never admits
    /// attempts accepts any newer attempt, as a plain registry.
    /// </summary>
    /// <returns>False for an unknown partition, or an attempt lower than one already admitted.</returns>
    public bool AdmitAttempt(int partition, int attempt) => Directory.Admit(partition, attempt);

    /// <summary>
    /// Admits an attempt of one replica of a partition, running version <paramref name="version"/> of the server.
    /// Attempt numbers must be unique per partition across its replicas: the number alone then names the replica when
    /// the attempt registers, reports or is health-checked.
    /// </summary>
    /// <param name="partition">The partition index.</param>
    /// <param name="replica">The replica index, below <see cref="CoordinatorOptions.Replicas"/>.</param>
    /// <param name="attempt">The attempt number.</param>
    /// <param name="version">The server version it runs (shown in the directory once it registers).</param>
    /// <returns>False for an unknown partition or replica, or an attempt lower than the replica's admitted one.</returns>
    public bool AdmitAttempt(int partition, int replica, int attempt, int version) => Directory.Admit(partition, replica, attempt, version);

    /// <summary>
    /// Admits again an older attempt of a replica after its successor was given up before it registered (a failed
    /// rolling update): the older attempt, still serving, keeps its place.
    /// </summary>
    public bool ReinstateAttempt(int partition, int replica, int attempt, int version) => Directory.Admit(partition, replica, attempt, version, reinstate: true);

    /// <summary>Marks one replica of a partition failed for good; the partition serves on while another replica does.</summary>
    public bool MarkReplicaFailed(int partition, int replica, string reason) => Directory.MarkFailed(partition, replica, reason);

    /// <summary>Marks a partition failed for good (its last allowed attempt failed); it takes no more registrations in this run.</summary>
    public bool MarkFailed(int partition, string reason) => Directory.MarkFailed(partition, reason);

    /// <summary>Marks a partition stopped (shut down with its cluster); it takes no more registrations in this run.</summary>
    public bool MarkStopped(int partition) => Directory.MarkStopped(partition);

    /// <summary>
    /// Stops health checks, so partitions that are about to be shut down on purpose are not marked lost.
    /// Call before stopping partitions; <see cref="ResumeHealthChecks"/> undoes it.
    /// </summary>
    public void SuspendHealthChecks() => _health.Suspended = true;

    /// <summary>Resumes health checks after <see cref="SuspendHealthChecks"/>.</summary>
    public void ResumeHealthChecks() => _health.Suspended = false;

    /// <summary>Stops health checks and the server. Idempotent; concurrent callers share one stop.</summary>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _stopping, 1) == 0)
        {
            try
            {
                await _health.DisposeAsync().ConfigureAwait(false);
                await _app.StopAsync(cancellationToken).ConfigureAwait(false);
                await _app.DisposeAsync().ConfigureAwait(false);
                Log.Stopped(_logger, Address);
                _stopped.TrySetResult();
            }
            catch (Exception ex)
            {
                _stopped.TrySetException(ex);
                throw;
            }
        }

        await _stopped.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Same as <see cref="StopAsync"/>.</summary>
    public async ValueTask DisposeAsync() => await StopAsync().ConfigureAwait(false);
}
