using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using Partitioned.Coordination;
using Partitioned.Coordination.Protocol;
using Partitioned.Shared;

namespace Partitioned.Server;

/// <summary>
/// One worker process's run: check the launch variables, read the token from standard input, watch the driver,
/// fetch the launch data, run the named server's attempt, post its results, and say how it ended: an exit code,
/// and for every failure a last line on standard error (the driver keeps the tail of it for its error message).
/// </summary>
internal sealed partial class WorkerSession
{
    /// <summary>How long a worker whose driver is gone may take to stop on its own before it exits hard.</summary>
    internal static readonly TimeSpan HardExitGrace = TimeSpan.FromSeconds(3);

    private static readonly TimeSpan s_tokenTimeout = TimeSpan.FromSeconds(30);

    private readonly IReadOnlyList<IPartitionServerDefinition?> _definitions;
    private readonly Func<string, string?> _variables;
    private readonly Stream _input;
    private readonly TextWriter _error;
    private readonly Action<int, string> _hardExit;

    /// <param name="definitions">The servers this app can run, by name.</param>
    /// <param name="variables">Reads an environment variable.</param>
    /// <param name="input">Standard input: the token, then silence until the driver goes away.</param>
    /// <param name="error">Standard error, for the final verdict line.</param>
    /// <param name="hardExit">Ends the process when it did not stop on its own after its driver went away.</param>
    public WorkerSession(IReadOnlyList<IPartitionServerDefinition?> definitions, Func<string, string?> variables, Stream input, TextWriter error, Action<int, string> hardExit)
    {
        _definitions = definitions;
        _variables = variables;
        _input = input;
        _error = error;
        _hardExit = hardExit;
    }

    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        var registry = BuildRegistry(out var problems);
        var environment = WorkerEnvironment.Parse(_variables, out var environmentProblems);
        problems.AddRange(environmentProblems);
        if (environment is null || problems.Count > 0)
        {
            return Verdict(WorkerExitCodes.InvalidLaunch, "cannot run a partition attempt", problems);
        }

        var who = $"partition {environment.Partition} attempt {environment.Attempt}";
        if (!registry.TryGetValue(environment.Server, out var definition))
        {
            var known = registry.Count == 0 ? "none" : string.Join(", ", registry.Keys.Order(StringComparer.Ordinal).Select(static n => $"'{n}'"));
            return Verdict(WorkerExitCodes.InvalidLaunch, $"cannot run {who}", [$"No server named '{environment.Server}' is registered in this app (registered: {known}). Pass every definition the driver may run to PartitionWorker.RunAsync."]);
        }

        int code;
        string? failure;
        var loggerFactory = CreateLoggerFactory(environment.LogLevel);
        using (var watch = new DriverWatch(_input, environment.ParentPid))
        {
            try
            {
                (code, failure) = await RunAttemptAsync(environment, definition, watch, loggerFactory, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                // Flushes the console logger, so the verdict below is the last line the driver reads.
                loggerFactory.Dispose();
            }
        }

        return failure is null ? code : Verdict(code, code switch
        {
            WorkerExitCodes.InvalidLaunch => $"cannot run {who}",
            WorkerExitCodes.Abandoned => $"{who} abandoned",
            _ => $"{who} failed",
        }, [failure]);
    }

    private async Task<(int Code, string? Failure)> RunAttemptAsync(
        WorkerEnvironment environment, ITypedServerDefinition definition, DriverWatch watch, ILoggerFactory loggerFactory, CancellationToken cancellationToken)
    {
        var logger = loggerFactory.CreateLogger("Partitioned.Server.PartitionWorker");
        Log.Starting(logger, environment.Partition, environment.Attempt, environment.Server, environment.Coordinator);

        string? tokenLine;
        try
        {
            tokenLine = await watch.StartAsync().WaitAsync(s_tokenTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            tokenLine = null;
        }

        ClusterToken token;
        try
        {
            // The token's own rules decide what is a token (not empty, long enough).
            token = ClusterToken.FromValue(tokenLine?.Trim() ?? string.Empty);
        }
        catch (ArgumentException)
        {
            return (WorkerExitCodes.InvalidLaunch, $"No cluster token on standard input (it ended, or no line arrived within {s_tokenTimeout.TotalSeconds:0} s): the driver writes the token as the first line and keeps standard input open.");
        }

        using var run = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, watch.Gone);
        using var hardExit = watch.Gone.Register(() => ArmHardExit(watch, logger));
        using var client = new AttemptClient(environment.Coordinator, token, environment.Partition, environment.Attempt);
        try
        {
            var launchData = await client.GetLaunchAsync(run.Token).ConfigureAwait(false);
            var settings = ReadSettings(environment, launchData, definition);
            var launch = new PartitionLaunch(launchData.ClusterId, environment.Partition, environment.Attempt, launchData.PartitionCount, environment.Coordinator, token)
            {
                Server = ToServerOptions(launchData.ServerOptions),
            };

            await definition.Accept(new WorkerAttemptRun(launch, client, loggerFactory, logger, run.Token), settings).ConfigureAwait(false);
            return (WorkerExitCodes.Succeeded, null);
        }
        catch (Exception) when (run.IsCancellationRequested)
        {
            var reason = watch.Reason ?? "the run was cancelled";
            Log.Abandoned(logger, reason);
            return (WorkerExitCodes.Abandoned, reason);
        }
        catch (WorkerLaunchException ex)
        {
            return (WorkerExitCodes.InvalidLaunch, ex.Message);
        }
        catch (Exception ex)
        {
            return (WorkerExitCodes.AttemptFailed, PartitionAttemptException.Describe(ex));
        }
    }

    private Dictionary<string, ITypedServerDefinition> BuildRegistry(out List<string> problems)
    {
        problems = [];
        var registry = new Dictionary<string, ITypedServerDefinition>(StringComparer.Ordinal);
        foreach (var definition in _definitions)
        {
            if (definition is not ITypedServerDefinition typed)
            {
                problems.Add(definition is null
                    ? "A server definition passed to PartitionWorker.RunAsync is null."
                    : $"Server definition '{definition.Name}' ({definition.GetType().Name}) was not created by PartitionServerDefinition.Create, so a worker cannot run it.");
            }
            else if (!registry.TryAdd(typed.Name, typed))
            {
                problems.Add($"Two server definitions are named '{typed.Name}'; names must be unique, because the driver picks the server by name.");
            }
        }

        return registry;
    }

    private static object? ReadSettings(WorkerEnvironment environment, AttemptLaunchResponse launch, ITypedServerDefinition definition)
    {
        if (launch.Partition != environment.Partition || launch.Attempt != environment.Attempt || launch.Server != environment.Server || launch.ClusterId != environment.ClusterId)
        {
            throw new WorkerLaunchException(
                $"The coordinator's launch data is for cluster {launch.ClusterId} partition {launch.Partition} attempt {launch.Attempt} server '{launch.Server}', " +
                $"but this worker was started for cluster {environment.ClusterId} partition {environment.Partition} attempt {environment.Attempt} server '{environment.Server}'.");
        }

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

    private static PartitionServerOptions ToServerOptions(AttemptServerOptions options) => new()
    {
        BindAddress = options.BindAddress,
        Ports = new PortRange(options.FirstPort, options.LastPort),
        AdvertisedHost = options.AdvertisedHost,
        RegistrationTimeout = TimeSpan.FromMilliseconds(options.RegistrationTimeoutMs),
        DrainTimeout = TimeSpan.FromMilliseconds(options.DrainTimeoutMs),
    };

    private static ILoggerFactory CreateLoggerFactory(LogLevel level) => LoggerFactory.Create(builder =>
    {
        builder.SetMinimumLevel(level);
        if (level >= LogLevel.Information)
        {
            builder.AddFilter("Microsoft", LogLevel.Warning);
        }

        // One line per message on standard output, warnings and errors on standard error: the driver logs both,
        // prefixed with the partition and attempt, and keeps the tail of standard error for its error message.
        builder.AddSimpleConsole(console =>
        {
            console.SingleLine = true;
            console.ColorBehavior = LoggerColorBehavior.Disabled;
        });
        builder.Services.Configure<ConsoleLoggerOptions>(console => console.LogToStandardErrorThreshold = LogLevel.Warning);
    });

    private void ArmHardExit(DriverWatch watch, ILogger logger)
    {
        var reason = watch.Reason ?? "the driver went away";
        Log.DriverGone(logger, reason);
        var timer = new Thread(() =>
        {
            Thread.Sleep(HardExitGrace);
            _hardExit(WorkerExitCodes.Abandoned, reason);
        })
        {
            IsBackground = true,
            Name = "Partitioned worker hard exit",
        };
        timer.Start();
    }

    private int Verdict(int code, string what, IReadOnlyList<string> reasons)
    {
        foreach (var reason in reasons)
        {
            _error.WriteLine($"PartitionWorker: {what}: {reason}");
        }

        _error.Flush();
        return code;
    }
}
