using System.Collections;
using Microsoft.Extensions.Logging;
using Partitioned.Server;
using Partitioned.Shared;

namespace Partitioned.Clustering;

/// <summary>
/// Runs every partition attempt as a Slurm job on a node of a Slurm cluster: one <c>srun</c> per attempt (one node,
/// one task) running your app in worker mode, as the <see cref="ProcessRunner"/> does on this machine. Attempts,
/// re-launches, health checks and results work as with the process runner; on top, a node where an attempt of a
/// partition died is avoided for that partition's next attempts while other nodes exist.
/// </summary>
/// <remarks>
/// <para>
/// The worker's launch variables reach the task through <c>srun</c>'s environment (<c>PARTITIONED_PARENT_PID=0</c>:
/// the driver is not on the node); the cluster token goes on <c>srun</c>'s standard input, which <c>srun</c> relays to
/// the task and keeps open, so the token never appears in the job's record, the environment or a command line. When
/// the driver goes away, even by SIGKILL, that input ends and the worker stops by itself, which ends its job.
/// </para>
/// <para>
/// <c>srun</c>'s exit code is not trusted on its own (after a node failure it can exit 0): an attempt succeeds only when
/// its worker posted its results. A lost attempt (failed health checks) or one abandoned past the grace period has
/// its job cancelled (<c>scancel</c>). The nodes need the worker program at the same path (a shared file system, or
/// the app installed alike) and must reach the coordinator; see the README's "Running on a cluster".
/// </para>
/// </remarks>
public sealed partial class SlurmRunner : IPartitionRunner, IWorkerEngine
{
    private readonly WorkerSupervisor _supervisor;
    private readonly SlurmTools _tools;
    private readonly SlurmPlacement _placement;

    /// <summary>Creates the runner.</summary>
    /// <param name="options">How workers are started and what their jobs ask for; default: this app, started again, with Slurm's defaults.</param>
    /// <exception cref="Microsoft.Extensions.Options.OptionsValidationException">The options are invalid; the message lists every problem.</exception>
    /// <exception cref="InvalidOperationException">No executable is configured and this app's own path cannot be told.</exception>
    public SlurmRunner(SlurmRunnerOptions? options = null)
    {
        Options = options ?? new SlurmRunnerOptions();
        Options.Validate();
        _tools = new SlurmTools(Options.SrunPath, Options.ConfigFile);
        _placement = new SlurmPlacement(_tools, Options);
        _supervisor = new WorkerSupervisor(this, Options, WorkerCommand.Resolve(Options), typeof(SlurmRunner).FullName!);
    }

    /// <summary>How workers are started and what their jobs ask for.</summary>
    public SlurmRunnerOptions Options { get; }

    /// <inheritdoc />
    public string Name => "slurm";

    /// <inheritdoc />
    public bool PartitionsRunElsewhere => Options.WorkersOnOtherHosts;

    bool IWorkerEngine.WorkerIsChildProcess => false;

    /// <inheritdoc />
    /// <exception cref="WorkerProcessException">The job could not be started, its worker exited without posting results, or it was cancelled.</exception>
    public Task<IReadOnlyList<TResult>> RunAttemptAsync<TRow, TResult>(PartitionAttempt<TRow, TResult> attempt, CancellationToken cancellationToken) =>
        _supervisor.RunAttemptAsync(attempt, cancellationToken);

    async ValueTask<WorkerStart> IWorkerEngine.PrepareAsync<TRow, TResult>(PartitionAttempt<TRow, TResult> attempt, WorkerCommand command, IReadOnlyDictionary<string, string?> environment, CancellationToken cancellationToken)
    {
        var launch = attempt.Launch;
        var logger = attempt.LoggerFactory.CreateLogger<SlurmRunner>();
        string? exclude;
        try
        {
            exclude = await _placement.ExcludeAsync(attempt.PreviousAttempts, cancellationToken, attempt.CurrentSiblingNodes).ConfigureAwait(false);
        }
        catch (InvalidOperationException ex) when (Options.NodeList is null)
        {
            // Avoiding a failed node is worth a try, not an attempt: without the node list, launch anywhere allowed.
            Log.PlacementUnknown(logger, launch.Partition, launch.Attempt, ex.Message);
            exclude = Options.ExcludeNodes;
        }

        var jobName = SrunCommand.JobName(Options.JobNamePrefix, launch.ClusterId, launch.Partition, launch.Attempt);
        Log.Submitting(logger, launch.Partition, launch.Attempt, jobName, exclude ?? "none");
        return new WorkerStart(_tools.Srun, SrunCommand.Arguments(Options, jobName, exclude, command), SrunEnvironment(environment), Options.WorkingDirectory ?? Environment.CurrentDirectory, jobName);
    }

    bool IWorkerEngine.TryReadLauncherLine(string line, PartitionLaunch launch, IPlacementSink placement, ILogger logger)
    {
        if (!line.StartsWith("srun: ", StringComparison.Ordinal) || line.StartsWith("srun: error:", StringComparison.Ordinal))
        {
            // The worker's own lines, and srun's errors (such as "Node failure"): quoted with the worker's standard error.
            return false;
        }

        if (SrunCommand.TryReadPlacement(line, out var jobId, out var node))
        {
            placement.PlacedOn(node);
            Log.Placed(logger, launch.Partition, launch.Attempt, jobId, node);
        }
        else
        {
            Log.SrunSaid(logger, launch.Partition, launch.Attempt, line);
        }

        return true;
    }

    async Task IWorkerEngine.CancelAsync(WorkerStart start, ILogger logger)
    {
        try
        {
            await _tools.RunAsync("scancel", ["--quiet", $"--name={start.Handle}"], CancellationToken.None).ConfigureAwait(false);
            Log.Cancelled(logger, start.Handle!);
        }
        catch (InvalidOperationException ex)
        {
            Log.CancelFailed(logger, start.Handle!, ex.Message);
        }
    }

    string IWorkerEngine.DescribeExitWithoutResults(int exitCode) =>
        "ended (srun exited with code 0) without its worker posting results: the node may have failed (srun can exit 0 after a node failure) or the job was cancelled";

    /// <summary>
    /// srun passes its whole environment to the task. The driver's own Slurm job variables are left out, so every
    /// attempt is a job of its own and inherits no task counts or limits of an allocation the driver may run in.
    /// </summary>
    private Dictionary<string, string?> SrunEnvironment(IReadOnlyDictionary<string, string?> worker)
    {
        var environment = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (DictionaryEntry variable in Environment.GetEnvironmentVariables())
        {
            if (variable.Key is string name && name.StartsWith("SLURM_", StringComparison.Ordinal) && name != "SLURM_CONF")
            {
                environment[name] = null;
            }
        }

        foreach (var (name, value) in worker)
        {
            environment[name] = value;
        }

        if (Options.ConfigFile is { } config)
        {
            environment["SLURM_CONF"] = config;
        }

        return environment;
    }
}
