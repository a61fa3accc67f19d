using Microsoft.Extensions.Logging;
using Partitioned.Server;

namespace Partitioned.Clustering;

/// <summary>
/// Runs every partition attempt in its own child process: your app, started again in worker mode (see
/// <see cref="PartitionWorker"/>), running the same server. A crash, a kill or a non-zero exit is a failed attempt, which
/// the cluster re-launches; a worker that stops answering health checks is killed and re-launched too. This is
/// Spark's local-cluster mode: process isolation on one machine, over the same worker protocol a cluster engine uses.
/// </summary>
/// <remarks>
/// The worker gets its launch data in <c>PARTITIONED_*</c> environment variables and the cluster token on the first
/// line of its standard input, which stays open: when the driver exits or is killed, the pipe closes and every
/// worker stops by itself. Rows and results travel over HTTP with the coordinator, never through standard output,
/// so nothing user code prints can corrupt them; the workers' standard output and error reach this driver's logger
/// line by line. An attempt succeeds when its worker posted its results.
/// <para>
/// With <see cref="WorkerOptions.PartitionsPerExecutor"/> above 1 (or <see cref="WorkerOptions.Executors"/> set), each
/// child process is an executor hosting several attempts at once, each still its own server, attempt and results; a crash
/// of the process fails every attempt in it, an exception in one partition's code only that attempt.
/// </para>
/// </remarks>
public sealed class ProcessRunner : IPartitionRunner, IWorkerEngine
{
    private readonly WorkerSupervisor _supervisor;
    private readonly ExecutorPools _executors;

    /// <summary>Creates the runner.</summary>
    /// <param name="options">How workers are started; default: this app, started again.</param>
    /// <exception cref="Microsoft.Extensions.Options.OptionsValidationException">The options are invalid; the message lists every problem.</exception>
    /// <exception cref="InvalidOperationException">No executable is configured and this app's own path cannot be told.</exception>
    public ProcessRunner(ProcessRunnerOptions? options = null)
    {
        Options = options ?? new ProcessRunnerOptions();
        Options.Validate();
        var command = WorkerCommand.Resolve(Options);
        _supervisor = new WorkerSupervisor(this, Options, command, typeof(ProcessRunner).FullName!);
        _executors = new ExecutorPools(this, Options, command, typeof(ProcessRunner).FullName!);
    }

    /// <summary>How workers are started.</summary>
    public ProcessRunnerOptions Options { get; }

    /// <inheritdoc />
    public string Name => "process";

    bool IWorkerEngine.WorkerIsChildProcess => true;

    /// <inheritdoc />
    /// <exception cref="WorkerProcessException">The worker could not start, exited without posting results, or was killed.</exception>
    public Task<IReadOnlyList<TResult>> RunAttemptAsync<TRow, TResult>(PartitionAttempt<TRow, TResult> attempt, CancellationToken cancellationToken) =>
        Options.UsesExecutors ? _executors.RunAttemptAsync(attempt, cancellationToken) : _supervisor.RunAttemptAsync(attempt, cancellationToken);

    /// <summary>The executors of a cluster run now (tests and benchmarks).</summary>
    internal IReadOnlyList<ExecutorProcess> ExecutorsOf(string clusterId) => _executors.Find(clusterId)?.Executors ?? [];

    ValueTask<WorkerStart> IWorkerEngine.PrepareAsync<TRow, TResult>(PartitionAttempt<TRow, TResult> attempt, WorkerCommand command, IReadOnlyDictionary<string, string?> environment, CancellationToken cancellationToken)
    {
        ((IPlacementSink)attempt).PlacedOn(Environment.MachineName);
        return ValueTask.FromResult(new WorkerStart(command.Executable, command.Arguments, environment, Options.WorkingDirectory ?? Environment.CurrentDirectory, Handle: null));
    }

    ValueTask<WorkerStart> IWorkerEngine.PrepareExecutorAsync(ExecutorStart executor, WorkerCommand command, IReadOnlyDictionary<string, string?> environment, CancellationToken cancellationToken)
    {
        executor.Placement.PlacedOn(Environment.MachineName);
        return ValueTask.FromResult(new WorkerStart(command.Executable, command.Arguments, environment, Options.WorkingDirectory ?? Environment.CurrentDirectory, Handle: null));
    }

    ValueTask<ExecutorSizing> IWorkerEngine.SizeExecutorsAsync(int attempts, int replicas, CancellationToken cancellationToken) =>
        ValueTask.FromResult(ExecutorSizing.From(Options, attempts, replicas));

    bool IWorkerEngine.TryReadLauncherLine(string line, string who, IPlacementSink placement, ILogger logger) => false;

    Task IWorkerEngine.CancelAsync(WorkerStart start, ILogger logger) => Task.CompletedTask;

    string IWorkerEngine.DescribeExitWithoutResults(int exitCode) =>
        "exited with code 0 without posting its results (did Program.cs return before PartitionWorker.RunAsync finished?)";
}
