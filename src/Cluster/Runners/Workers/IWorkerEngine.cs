using Microsoft.Extensions.Logging;
using Partitioned.Server;

namespace Partitioned.Clustering;

/// <summary>
/// What differs between runners that start each attempt as a local process: how the process is started (the worker
/// itself, or a launcher that places it on a node), what the launcher says on its own behalf, and how an attempt is
/// ended where it runs. Everything else (token delivery, output forwarding, the attempt's lifecycle, exit
/// classification, abandon and kill) is <see cref="WorkerSupervisor"/>'s, shared by every such runner.
/// </summary>
internal interface IWorkerEngine
{
    /// <summary>True when the worker is a child process of this driver (so it may watch the driver's process id).</summary>
    bool WorkerIsChildProcess { get; }

    /// <summary>The process to start for <paramref name="attempt"/>.</summary>
    /// <param name="attempt">The attempt, with its partition's earlier attempts (for placement decisions).</param>
    /// <param name="command">The worker program and arguments.</param>
    /// <param name="environment">The worker's variables: the protocol's and the user's.</param>
    /// <param name="cancellationToken">Abandons the preparation.</param>
    ValueTask<WorkerStart> PrepareAsync<TRow, TResult>(PartitionAttempt<TRow, TResult> attempt, WorkerCommand command, IReadOnlyDictionary<string, string?> environment, CancellationToken cancellationToken);

    /// <summary>The process to start for an executor (a worker process hosting several attempts).</summary>
    /// <param name="executor">The executor: its id and slots, and what its first attempt says about placement.</param>
    /// <param name="command">The worker program and arguments.</param>
    /// <param name="environment">The executor's variables: the protocol's and the user's.</param>
    /// <param name="cancellationToken">Abandons the preparation.</param>
    ValueTask<WorkerStart> PrepareExecutorAsync(ExecutorStart executor, WorkerCommand command, IReadOnlyDictionary<string, string?> environment, CancellationToken cancellationToken);

    /// <summary>How many attempts an executor hosts and how many executors may run, for a cluster run of <paramref name="attempts"/> attempts at once.</summary>
    ValueTask<ExecutorSizing> SizeExecutorsAsync(int attempts, int replicas, CancellationToken cancellationToken);

    /// <summary>
    /// Reads a line the started process wrote to standard error; true when it is the launcher's own line (it is then
    /// handled here, and not quoted as the worker's), false for the worker's.
    /// </summary>
    /// <param name="line">The line.</param>
    /// <param name="who">Whose process it is, for logs ("Partition 3 attempt 0", "Executor e2").</param>
    /// <param name="placement">Told the node, when the line names it.</param>
    /// <param name="logger">Where the launcher's lines go.</param>
    bool TryReadLauncherLine(string line, string who, IPlacementSink placement, ILogger logger);

    /// <summary>Ends the attempt where it runs, beyond the local process tree (a Slurm job is cancelled); called before that tree is killed.</summary>
    Task CancelAsync(WorkerStart start, ILogger logger);

    /// <summary>Why a worker that exited with <paramref name="exitCode"/> without posting results may have done so, in words.</summary>
    string DescribeExitWithoutResults(int exitCode);
}
