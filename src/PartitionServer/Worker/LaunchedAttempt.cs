using System.Text.Json;
using Microsoft.Extensions.Logging;
using Partitioned.Protocol;
using Partitioned.Security;
using Partitioned.Shared;

namespace Partitioned.Server;

/// <summary>
/// One partition attempt in a worker process, from its launch data to its posted results: the part a worker of one
/// attempt (<see cref="WorkerSession"/>) and an executor (<see cref="ExecutorSession"/>, several at once) share.
/// </summary>
internal static class LaunchedAttempt
{
    /// <summary>
    /// Fetches the launch data, checks it against what this process was started for, creates the named server from its
    /// settings, and runs the attempt: rows in, serve until shutdown, results posted.
    /// </summary>
    /// <param name="environment">The process's launch variables.</param>
    /// <param name="partition">The partition to run.</param>
    /// <param name="attempt">Its attempt number.</param>
    /// <param name="token">The cluster token.</param>
    /// <param name="client">The attempt routes of this attempt.</param>
    /// <param name="registry">The servers this app can run, by name.</param>
    /// <param name="executor">The executor this attempt runs in, or null for a process of its own.</param>
    /// <param name="loggerFactory">Where the server logs.</param>
    /// <param name="logger">Where the worker logs.</param>
    /// <param name="cancellationToken">Abandons the attempt.</param>
    /// <exception cref="WorkerLaunchException">The launch data was refused or does not fit this app.</exception>
    public static async Task RunAsync(
        WorkerEnvironment environment, int partition, int attempt, ClusterToken token, AttemptClient client, IReadOnlyDictionary<string, ITypedServerDefinition> registry,
        ExecutorMembers? executor, ILoggerFactory loggerFactory, ILogger logger, CancellationToken cancellationToken)
    {
        var launchData = await client.GetLaunchAsync(cancellationToken).ConfigureAwait(false);
        var definition = CheckLaunch(environment, partition, attempt, launchData, registry);
        var settings = ReadSettings(launchData, definition);
        var launch = new PartitionLaunch(launchData.ClusterId, partition, attempt, launchData.PartitionCount, environment.Coordinator, token)
        {
            Server = ToServerOptions(launchData.ServerOptions),
            Node = environment.Node,
            Replica = launchData.Replica,
            Tls = ToTls(launchData.Tls, environment),
            Executor = executor,
        };

        await definition.Accept(new WorkerAttemptRun(launch, client, loggerFactory, logger, cancellationToken), settings).ConfigureAwait(false);
    }

    /// <summary>How an attempt that threw ended: a worker exit code and why.</summary>
    /// <param name="exception">What the run threw.</param>
    /// <param name="cancelled">Why the run was cancelled, when it was (the driver went away, or abandoned the attempt); else null.</param>
    public static (int Code, string Failure) Classify(Exception exception, string? cancelled) => exception switch
    {
        _ when cancelled is not null => (WorkerExitCodes.Abandoned, cancelled),
        WorkerLaunchException launch => (WorkerExitCodes.InvalidLaunch, launch.Message),

        // The coordinator says the attempt is over (lost, ended, replaced): not a failure of this worker, and nothing more
        // it does counts, so it stops as abandoned.
        _ when AttemptOverException.Find(exception) is { } over => (WorkerExitCodes.Abandoned, over.Message),
        _ => (WorkerExitCodes.AttemptFailed, PartitionAttemptException.Describe(exception)),
    };

    public static string UnknownServer(string server, IReadOnlyDictionary<string, ITypedServerDefinition> registry)
    {
        var known = registry.Count == 0 ? "none" : string.Join(", ", registry.Keys.Order(StringComparer.Ordinal).Select(static n => $"'{n}'"));
        return $"No server named '{server}' is registered in this app (registered: {known}). Pass every definition the driver may run to PartitionWorker.RunAsync.";
    }

    /// <summary>Checks the launch data against what this process was started for, and finds the server to run.</summary>
    /// <exception cref="WorkerLaunchException">They disagree, or the server is not registered in this app.</exception>
    private static ITypedServerDefinition CheckLaunch(WorkerEnvironment environment, int partition, int attempt, AttemptLaunchResponse launch, IReadOnlyDictionary<string, ITypedServerDefinition> registry)
    {
        // An executor's server variable names its first attempt's server: it hosts whichever server each attempt's launch
        // data names (a rolling update may move the run to another definition), so only a worker of one attempt checks it.
        var checksServer = environment.Executor is null && environment.Server is not null;
        if (launch.Partition != partition || launch.Attempt != attempt
            || (checksServer && launch.Server != environment.Server) || (environment.ClusterId is not null && launch.ClusterId != environment.ClusterId))
        {
            var started = environment.Executor is null ? "this worker was started" : $"executor {environment.Executor} was told to run it";
            throw new WorkerLaunchException(
                $"The coordinator's launch data is for cluster {launch.ClusterId} partition {launch.Partition} attempt {launch.Attempt} server '{launch.Server}', " +
                $"but {started} for cluster {environment.ClusterId ?? "(any)"} partition {partition} attempt {attempt} server '{(checksServer ? environment.Server : "(any)")}'.");
        }

        return registry.TryGetValue(launch.Server, out var definition) ? definition : throw new WorkerLaunchException(UnknownServer(launch.Server, registry));
    }

    private static object? ReadSettings(AttemptLaunchResponse launch, ITypedServerDefinition definition)
    {
        if (definition.SettingsType is not { } settingsType)
        {
            return launch.Settings is null
                ? null
                : throw new WorkerLaunchException($"Server '{definition.Name}' takes no settings in this app, but the driver sent some: the worker runs a different build of the app than the driver.");
        }

        try
        {
            return launch.Settings?.Deserialize(settingsType, ProtocolJson.Options);
        }
        catch (JsonException ex)
        {
            throw new WorkerLaunchException($"The settings the driver sent for server '{definition.Name}' are not a valid {settingsType.Name}: {ex.Message}");
        }
    }

    /// <summary>The attempt's TLS from the launch data, trusting the authorities the launcher gave.</summary>
    /// <exception cref="WorkerLaunchException">The launch data asks for TLS the worker cannot do.</exception>
    private static PartitionTls? ToTls(AttemptTlsOptions? tls, WorkerEnvironment environment)
    {
        if (tls is null)
        {
            return null;
        }

        if (environment.TrustedAuthorities.Count == 0)
        {
            throw new WorkerLaunchException($"The launch data asks for TLS, but {WorkerProtocol.TrustedAuthoritiesVariable} names no authority to trust.");
        }

        return tls.Source switch
        {
            AttemptTlsOptions.FromCoordinator => new PartitionTls(environment.TrustedAuthorities),
            AttemptTlsOptions.FromFiles when !string.IsNullOrWhiteSpace(tls.CertificateFile) => new PartitionTls(environment.TrustedAuthorities)
            {
                CertificateFiles = new PartitionCertificateFiles(tls.CertificateFile, tls.KeyFile),
            },
            _ => throw new WorkerLaunchException($"The launch data's tls.source is '{tls.Source}' (with certificateFile '{tls.CertificateFile}'): this worker knows '{AttemptTlsOptions.FromCoordinator}', and '{AttemptTlsOptions.FromFiles}' with a certificateFile."),
        };
    }

    private static PartitionServerOptions ToServerOptions(AttemptServerOptions options) => new()
    {
        BindAddress = options.BindAddress,
        Ports = new PortRange(options.FirstPort, options.LastPort),
        AdvertisedHost = options.AdvertisedHost,
        RegistrationTimeout = TimeSpan.FromMilliseconds(options.RegistrationTimeoutMs),
        DrainTimeout = TimeSpan.FromMilliseconds(options.DrainTimeoutMs),
    };
}
