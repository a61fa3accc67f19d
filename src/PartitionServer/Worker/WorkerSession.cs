using System.Threading.Channels;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using Partitioned.Protocol;
using Partitioned.Security;
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
    private readonly TextWriter _output;
    private readonly Action<int, string> _hardExit;
    private CoordinatorWatch? _engineWatch;

    /// <param name="definitions">The servers this app can run, by name.</param>
    /// <param name="variables">Reads an environment variable.</param>
    /// <param name="input">Standard input: the token, then silence until the driver goes away.</param>
    /// <param name="error">Standard error, for the final verdict line.</param>
    /// <param name="hardExit">Ends the process when it did not stop on its own after its driver went away.</param>
    /// <param name="output">Standard output, where a worker whose token comes sealed asks for it; default the console's.</param>
    public WorkerSession(IReadOnlyList<IPartitionServerDefinition?> definitions, Func<string, string?> variables, Stream input, TextWriter error, Action<int, string> hardExit, TextWriter? output = null)
    {
        _output = output ?? Console.Out;
        _definitions = definitions;
        _variables = variables;
        _input = input;
        _error = error;
        _hardExit = hardExit;
    }

    /// <summary>
    /// Asks the worker to stop because its engine sent <paramref name="signal"/>. Only a worker an engine launched (token
    /// file mode) stops for a signal: it reports the stop and abandons its attempt. A worker whose driver started it
    /// leaves signals to that driver (which got the same Ctrl+C or SIGTERM and stops every partition gracefully).
    /// </summary>
    /// <returns>True when the signal stops this worker.</returns>
    public bool TryStopForEngine(string signal)
    {
        if (Volatile.Read(ref _engineWatch) is not { } watch)
        {
            return false;
        }

        watch.Signal($"its engine stopped the worker ({signal})");
        return true;
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

        var who = environment.Executor is { } executor ? $"executor {executor}"
            : environment.Attempt is { } attempt ? $"partition {environment.Partition} attempt {attempt}"
            : $"partition {environment.Partition}";
        if (environment.Server is { } server && !registry.ContainsKey(server))
        {
            return Verdict(WorkerExitCodes.InvalidLaunch, $"cannot run {who}", [LaunchedAttempt.UnknownServer(server, registry)]);
        }

        int code;
        string? failure;
        var loggerFactory = CreateLoggerFactory(environment.LogLevel, scopes: environment.Executor is not null);

        // An executor's driver sends commands after the token; an engine-launched one asks the coordinator instead.
        var commands = environment.Executor is not null && environment.TokenFile is null ? Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = true }) : null;
        IDriverLink link = environment.TokenFile is null ? new DriverWatch(_input, environment.ParentPid, commands is null ? null : line => commands.Writer.TryWrite(line)) : new CoordinatorWatch();
        using (link)
        {
            Volatile.Write(ref _engineWatch, link as CoordinatorWatch);
            try
            {
                (code, failure, who) = environment.Executor is null
                    ? await RunAttemptAsync(environment, registry, link, loggerFactory, who, cancellationToken).ConfigureAwait(false)
                    : await RunExecutorAsync(environment, registry, link, commands?.Reader, loggerFactory, who, cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                Volatile.Write(ref _engineWatch, null);

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

    // The start both a worker of one attempt and an executor make: say so, and read the cluster token.
    private async Task<(ILogger Logger, ClusterToken? Token, string? Invalid)> BeginAsync(
        WorkerEnvironment environment, IDriverLink link, ILoggerFactory loggerFactory, string who, CancellationToken cancellationToken)
    {
        var logger = loggerFactory.CreateLogger("Partitioned.Server.PartitionWorker");
        Log.Starting(logger, who, environment.Server ?? "named by the coordinator", environment.Coordinator);
        try
        {
            return (logger, await ReadTokenAsync(environment, link, _output, cancellationToken).ConfigureAwait(false), null);
        }
        catch (WorkerLaunchException ex)
        {
            return (logger, null, ex.Message);
        }
    }

    private async Task<(int Code, string? Failure, string Who)> RunAttemptAsync(
        WorkerEnvironment environment, Dictionary<string, ITypedServerDefinition> registry, IDriverLink link, ILoggerFactory loggerFactory, string who, CancellationToken cancellationToken)
    {
        var (logger, token, invalid) = await BeginAsync(environment, link, loggerFactory, who, cancellationToken).ConfigureAwait(false);
        if (token is null)
        {
            return (WorkerExitCodes.InvalidLaunch, invalid, who);
        }

        using var run = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, link.Gone);
        using var hardExit = link.Gone.Register(() => ArmHardExit(link, logger));
        using var client = new AttemptClient(environment.Coordinator, token, environment.Partition, environment.Attempt, environment.TrustedAuthorities);
        int? attempt = environment.Attempt;
        Task? stopReport = null;
        try
        {
            if (attempt is null)
            {
                attempt = await client.AssignAttemptAsync(run.Token).ConfigureAwait(false);
                who = $"partition {environment.Partition} attempt {attempt}";
                Log.Assigned(logger, environment.Partition, attempt.Value);
            }

            if (link is CoordinatorWatch watch)
            {
                // No driver watches this worker's process: when it must stop, the coordinator hears it at once (not after
                // failed health checks), while the attempt winds down, so a hard exit cannot lose the report.
                var number = attempt.Value;
                link.Gone.Register(() => stopReport = ReportStopAsync(environment, token, number, link, logger));
                watch.Start(client, TimeProvider.System);
            }

            await LaunchedAttempt.RunAsync(environment, environment.Partition, attempt.Value, token, client, registry, executor: null, loggerFactory, logger, run.Token).ConfigureAwait(false);
            return (WorkerExitCodes.Succeeded, null, who);
        }
        catch (Exception ex)
        {
            var (code, failure) = LaunchedAttempt.Classify(ex, run.IsCancellationRequested ? link.Reason ?? "the run was cancelled" : null);
            if (code == WorkerExitCodes.Abandoned)
            {
                Log.Abandoned(logger, failure);
                if (stopReport is not null)
                {
                    await stopReport.ConfigureAwait(false);
                }
            }

            return (code, failure, who);
        }
        finally
        {
            // The watch asks through the client: it stops before the client is disposed (the using above), or a check
            // due in between would use a disposed client.
            if (link is CoordinatorWatch watch)
            {
                await watch.StopAsync().ConfigureAwait(false);
            }
        }
    }

    private async Task<(int Code, string? Failure, string Who)> RunExecutorAsync(
        WorkerEnvironment environment, Dictionary<string, ITypedServerDefinition> registry, IDriverLink link, ChannelReader<string>? commands, ILoggerFactory loggerFactory, string who, CancellationToken cancellationToken)
    {
        var (logger, token, invalid) = await BeginAsync(environment, link, loggerFactory, who, cancellationToken).ConfigureAwait(false);
        if (token is null)
        {
            return (WorkerExitCodes.InvalidLaunch, invalid, who);
        }

        using var run = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, link.Gone);
        using var hardExit = link.Gone.Register(() => ArmHardExit(link, logger));
        var session = new ExecutorSession(environment, registry, token, loggerFactory, logger, _output);
        var (code, failure) = commands is null
            ? await session.PollCoordinatorAsync(() => link.Reason, run.Token).ConfigureAwait(false)
            : await session.RunAsync(commands, () => link.Reason, run.Token).ConfigureAwait(false);
        return (code, failure, who);
    }

    private static async Task ReportStopAsync(WorkerEnvironment environment, ClusterToken token, int attempt, IDriverLink link, ILogger logger)
    {
        using var coordinator = new CoordinatorClient(environment.Coordinator, token, TimeProvider.System, logger, environment.TrustedAuthorities.Count == 0 ? null : new PartitionTls(environment.TrustedAuthorities));
        await coordinator.TryReportFailureAsync(new FailureReport(environment.Partition, attempt, $"abandoned: {link.Reason ?? "the run was cancelled"}"), CancellationToken.None).ConfigureAwait(false);
    }

    /// <summary>The token from its file (engine-launched workers), or from the first line of standard input.</summary>
    /// <exception cref="WorkerLaunchException">No valid token.</exception>
    private static async Task<ClusterToken> ReadTokenAsync(WorkerEnvironment environment, IDriverLink link, TextWriter output, CancellationToken cancellationToken)
    {
        if (environment.TokenFile is { } path)
        {
            return TokenFile.Read(path);
        }

        string? tokenLine;
        var seal = environment.TokenSealed ? TokenSeal.CreateRequest() : default;
        using var sealKey = seal.Key;
        try
        {
            var reading = ((DriverWatch)link).StartAsync();
            if (seal.Key is not null)
            {
                // The driver answers this line with the token sealed to the key (standard input may cross the network).
                await output.WriteLineAsync(seal.Line.AsMemory(), cancellationToken).ConfigureAwait(false);
                await output.FlushAsync(cancellationToken).ConfigureAwait(false);
            }

            tokenLine = await reading.WaitAsync(s_tokenTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            tokenLine = null;
        }

        if (seal.Key is not null)
        {
            tokenLine = TokenSeal.Open(seal.Key, tokenLine)
                ?? throw new WorkerLaunchException($"The sealed cluster token on standard input could not be opened (or none came within {s_tokenTimeout.TotalSeconds:0} s): {WorkerProtocol.TokenSealedVariable}=1 asks the driver to answer this worker's key with the token sealed to it.");
        }

        try
        {
            // The token's own rules decide what is a token (not empty, long enough).
            return ClusterToken.FromValue(tokenLine?.Trim() ?? string.Empty);
        }
        catch (ArgumentException)
        {
            throw new WorkerLaunchException($"No cluster token on standard input (it ended, or no line arrived within {s_tokenTimeout.TotalSeconds:0} s): the driver writes the token as the first line and keeps standard input open.");
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

    private static ILoggerFactory CreateLoggerFactory(LogLevel level, bool scopes) => LoggerFactory.Create(builder =>
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

            // In an executor, lines of several attempts interleave: each says whose it is ("Partition 3 attempt 0").
            console.IncludeScopes = scopes;
        });
        builder.Services.Configure<ConsoleLoggerOptions>(console => console.LogToStandardErrorThreshold = LogLevel.Warning);
    });

    private void ArmHardExit(IDriverLink link, ILogger logger)
    {
        var reason = link.Reason ?? "the driver went away";
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
