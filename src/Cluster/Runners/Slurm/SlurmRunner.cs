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
/// <para>
/// With executors (<see cref="WorkerOptions.PartitionsPerExecutor"/>, <see cref="WorkerOptions.Executors"/> or
/// <see cref="SlurmRunnerOptions.ExecutorsPerNode"/>) there is one <c>srun</c> per executor, not per attempt: its job
/// (<c>partitioned-&lt;cluster&gt;-e3</c>, <see cref="SlurmRunnerOptions.CpusPerExecutor"/> CPUs) hosts several attempts.
/// </para>
/// </remarks>
public sealed partial class SlurmRunner : IPartitionRunner, IWorkerEngine
{
    private readonly WorkerSupervisor _supervisor;
    private readonly ExecutorPools _executors;
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
        var command = WorkerCommand.Resolve(Options);
        _supervisor = new WorkerSupervisor(this, Options, command, typeof(SlurmRunner).FullName!);
        _executors = new ExecutorPools(this, Options, command, typeof(SlurmRunner).FullName!);
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
        Options.UsesExecutors ? _executors.RunAttemptAsync(attempt, cancellationToken) : _supervisor.RunAttemptAsync(attempt, cancellationToken);

    /// <summary>The executors of a cluster run now (tests and benchmarks).</summary>
    internal IReadOnlyList<ExecutorProcess> ExecutorsOf(string clusterId) => _executors.Find(clusterId)?.Executors ?? [];

    async ValueTask<WorkerStart> IWorkerEngine.PrepareAsync<TRow, TResult>(PartitionAttempt<TRow, TResult> attempt, WorkerCommand command, IReadOnlyDictionary<string, string?> environment, CancellationToken cancellationToken)
    {
        var launch = attempt.Launch;
        var logger = attempt.LoggerFactory.CreateLogger<SlurmRunner>();
        var who = $"Partition {launch.Partition} attempt {launch.Attempt}";
        var exclude = await ExcludeAsync(attempt.PreviousAttempts, attempt.CurrentSiblingNodes, who, logger, cancellationToken).ConfigureAwait(false);
        var jobName = SrunCommand.JobName(Options.JobNamePrefix, launch.ClusterId, launch.Partition, launch.Attempt);
        Log.Submitting(logger, who, jobName, exclude ?? "none");
        return new WorkerStart(_tools.Srun, SrunCommand.Arguments(Options, jobName, exclude, command), SrunEnvironment(environment), Options.WorkingDirectory ?? Environment.CurrentDirectory, jobName);
    }

    async ValueTask<WorkerStart> IWorkerEngine.PrepareExecutorAsync(ExecutorStart executor, WorkerCommand command, IReadOnlyDictionary<string, string?> environment, CancellationToken cancellationToken)
    {
        var who = $"Executor {executor.Id}";
        var exclude = await ExcludeAsync(executor.PreviousAttempts, executor.SiblingNodes, who, executor.Logger, cancellationToken).ConfigureAwait(false);
        var jobName = SrunCommand.JobName(Options.JobNamePrefix, executor.ClusterId, executor.Id);
        Log.Submitting(executor.Logger, who, jobName, exclude ?? "none");
        return new WorkerStart(_tools.Srun, SrunCommand.Arguments(Options, jobName, exclude, command, executor.Sizing), SrunEnvironment(environment), Options.WorkingDirectory ?? Environment.CurrentDirectory, jobName);
    }

    async ValueTask<ExecutorSizing> IWorkerEngine.SizeExecutorsAsync(int attempts, int replicas, CancellationToken cancellationToken)
    {
        if (Options.ExecutorsPerNode is not { } perNode)
        {
            var sizing = ExecutorSizing.From(Options, attempts, replicas);
            return sizing with { Cpus = Options.CpusPerExecutor ?? Options.CpusPerPartition * sizing.Slots, Memory = Options.MemoryFor(sizing.Slots) };
        }

        // Executors per node: each takes its share of a node's CPUs, and by default a slot per CPU.
        var nodes = await _placement.UsableNodesAsync(cancellationToken).ConfigureAwait(false);
        if (nodes.Count == 0)
        {
            throw new InvalidOperationException($"{nameof(SlurmRunnerOptions.ExecutorsPerNode)} is set, but sinfo lists no usable node{(Options.Partition is { } partition ? $" in partition {partition}" : string.Empty)}.");
        }

        var cpus = Options.CpusPerExecutor ?? Math.Max(1, nodes.Min(static n => n.Cpus) / perNode);
        var slots = Options.PartitionsPerExecutor > 1 ? Options.PartitionsPerExecutor : Math.Max(1, cpus / (Options.CpusPerPartition ?? 1));
        return new ExecutorSizing(slots, Math.Max(nodes.Count * perNode, replicas), cpus, Options.MemoryFor(slots)) { Spare = replicas - 1 };
    }

    bool IWorkerEngine.TryReadLauncherLine(string line, string who, IPlacementSink placement, ILogger logger)
    {
        if (!line.StartsWith("srun: ", StringComparison.Ordinal) || line.StartsWith("srun: error:", StringComparison.Ordinal))
        {
            // The worker's own lines, and srun's errors (such as "Node failure"): quoted with the worker's standard error.
            return false;
        }

        if (SrunCommand.TryReadPlacement(line, out var jobId, out var node))
        {
            placement.PlacedOn(node);
            Log.Placed(logger, who, jobId, node);
        }
        else
        {
            Log.SrunSaid(logger, who, line);
        }

        return true;
    }

    /// <summary>The nodes to exclude: Slurm's exclude-on-failure, and sibling replicas' nodes (see <see cref="SlurmPlacement"/>).</summary>
    private async Task<string?> ExcludeAsync(IReadOnlyList<AttemptOutcome> previous, IReadOnlyList<string> siblings, string who, ILogger logger, CancellationToken cancellationToken)
    {
        try
        {
            return await _placement.ExcludeAsync(previous, cancellationToken, siblings).ConfigureAwait(false);
        }
        catch (InvalidOperationException ex) when (Options.NodeList is null)
        {
            // Avoiding a failed node is worth a try, not an attempt: without the node list, launch anywhere allowed.
            Log.PlacementUnknown(logger, who, ex.Message);
            return Options.ExcludeNodes;
        }
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
