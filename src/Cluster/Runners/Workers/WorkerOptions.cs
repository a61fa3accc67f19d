using System.Collections.Immutable;
using Microsoft.Extensions.Logging;
using Partitioned.Protocol;
using Partitioned.Shared;

namespace Partitioned.Clustering;

/// <summary>
/// How a runner that starts worker processes (<see cref="ProcessRunner"/> on this machine, <see cref="SlurmRunner"/>
/// on a Slurm cluster) starts them and supervises them: the worker program, its environment, and how long it may
/// take to exit. Checked when the runner is created; every problem is reported at once.
/// </summary>
public abstract record WorkerOptions
{
    /// <summary>
    /// The program every attempt starts. Default: this app, started again: <see cref="Environment.ProcessPath"/>, or
    /// <c>dotnet &lt;entry assembly&gt;</c> when the app runs on the <c>dotnet</c> host. The program must call
    /// <see cref="Partitioned.Server.PartitionWorker.RunAsync(Partitioned.Server.IPartitionServerDefinition[])"/> when
    /// <see cref="Partitioned.Server.PartitionWorker.IsWorkerProcess"/> is true. On other machines, the same path must
    /// lead to the same build (a shared file system, or the app installed at the same place on every node).
    /// </summary>
    public string? Executable { get; init; }

    /// <summary>Arguments passed to <see cref="Executable"/> (after the entry assembly when it is the default). Default none.</summary>
    public IReadOnlyList<string> Arguments { get; init; } = [];

    /// <summary>Extra environment variables for every worker. Names starting with <c>PARTITIONED_</c> are reserved for the protocol.</summary>
    public IReadOnlyDictionary<string, string> EnvironmentVariables { get; init; } = ImmutableDictionary<string, string>.Empty;

    /// <summary>The workers' working directory. Default: the driver's current directory.</summary>
    public string? WorkingDirectory { get; init; }

    /// <summary>
    /// How long a worker may take to exit on its own (after it posted its results, or after its attempt was abandoned
    /// and its standard input closed) before it is stopped by force. Results it posted are kept either way.
    /// Default 2 s; zero stops it at once.
    /// </summary>
    public TimeSpan KillGracePeriod { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>How many of the last lines of a worker's standard error a failure quotes. Default 20.</summary>
    public int StandardErrorTailLines { get; init; } = 20;

    /// <summary>The minimum level of the worker's own log lines (its server's logs), which reach the driver's logger. Default Information.</summary>
    public LogLevel WorkerLogLevel { get; init; } = LogLevel.Information;

    /// <summary>
    /// How many partition attempts one worker process (an executor) hosts at once, each still its own server, attempt,
    /// registration, health and results. Default 1: a process per attempt (full isolation: a crash, a leak or a blocked
    /// thread in one partition's code touches no other). More: attempts are placed into executors, filling each before the
    /// next starts, so a cluster of many partitions starts a few processes instead of one per partition. See
    /// docs/running-on-a-cluster.md for when to choose which.
    /// </summary>
    public int PartitionsPerExecutor { get; init; } = 1;

    /// <summary>
    /// How many executors to spread the partitions over. Default null: as many as the attempts need at
    /// <see cref="PartitionsPerExecutor"/> each. Set, at most this many executors run at once (and at least as many as the
    /// cluster's replicas, which never share one), and each hosts enough attempts for all of them to fit: for example 64
    /// partitions with <c>Executors = 4</c> run 16 per executor. Setting it turns executors on.
    /// </summary>
    public int? Executors { get; init; }

    /// <summary>True when attempts run in executors (several per process) rather than a process each.</summary>
    internal virtual bool UsesExecutors => PartitionsPerExecutor > 1 || Executors is not null;

    /// <summary>Adds every problem with the worker settings; <paramref name="validation"/> names the concrete options type.</summary>
    private protected void ValidateWorker(OptionsValidation validation)
    {
        validation.Require(Executable is null || !string.IsNullOrWhiteSpace(Executable), $"{nameof(Executable)} must be a program path or name, or null for this app (was '{Executable}').");
        validation.Require(Arguments is not null && Arguments.All(static a => a is not null), $"{nameof(Arguments)} must not be null or hold null entries.");
        if (EnvironmentVariables is null)
        {
            validation.Require(false, $"{nameof(EnvironmentVariables)} must not be null.");
        }
        else
        {
            foreach (var name in EnvironmentVariables.Keys)
            {
                validation.Require(!string.IsNullOrWhiteSpace(name) && !name.Contains('='), $"{nameof(EnvironmentVariables)}: '{name}' is not a valid variable name.");
                validation.Require(!name.StartsWith(WorkerProtocol.VariablePrefix, StringComparison.OrdinalIgnoreCase), $"{nameof(EnvironmentVariables)}: {name} is reserved for the worker protocol; the runner sets the {WorkerProtocol.VariablePrefix} variables itself.");
            }
        }

        validation.Require(WorkingDirectory is null || Directory.Exists(WorkingDirectory), $"{nameof(WorkingDirectory)} '{WorkingDirectory}' does not exist.");
        validation.Require(KillGracePeriod >= TimeSpan.Zero, $"{nameof(KillGracePeriod)} must not be negative (was {KillGracePeriod}).");
        validation.Require(StandardErrorTailLines >= 1, $"{nameof(StandardErrorTailLines)} must be at least 1 (was {StandardErrorTailLines}).");
        validation.Require(Enum.IsDefined(WorkerLogLevel), $"{nameof(WorkerLogLevel)} must be a LogLevel (was {WorkerLogLevel}).");
        validation.Require(PartitionsPerExecutor is >= 1 and <= 100_000, $"{nameof(PartitionsPerExecutor)} must be between 1 (a process per partition attempt) and 100000 (was {PartitionsPerExecutor}).");
        validation.Require(Executors is null or >= 1, $"{nameof(Executors)} must be at least 1, or null for as many executors as the partitions need (was {Executors}).");
    }

    /// <summary>The full path of a worker assembly, checked to exist (for the <c>ForAssembly</c> factories).</summary>
    private protected static string RequireAssembly(string assemblyPath)
    {
        ArgumentException.ThrowIfNullOrEmpty(assemblyPath);
        var full = Path.GetFullPath(assemblyPath);
        return File.Exists(full) ? full : throw new FileNotFoundException($"The worker assembly {full} does not exist; build it first.", full);
    }
}
