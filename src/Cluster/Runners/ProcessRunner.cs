using System.Diagnostics;
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
/// line by line. An attempt succeeds when its worker posted its results and then exited with code 0.
/// </remarks>
public sealed partial class ProcessRunner : IPartitionRunner
{
    private readonly WorkerCommand _command;

    /// <summary>Creates the runner.</summary>
    /// <param name="options">How workers are started; default: this app, started again.</param>
    /// <exception cref="Microsoft.Extensions.Options.OptionsValidationException">The options are invalid; the message lists every problem.</exception>
    /// <exception cref="InvalidOperationException">No executable is configured and this app's own path cannot be told.</exception>
    public ProcessRunner(ProcessRunnerOptions? options = null)
    {
        Options = options ?? new ProcessRunnerOptions();
        Options.Validate();
        _command = WorkerCommand.Resolve(Options);
    }

    /// <summary>How workers are started.</summary>
    public ProcessRunnerOptions Options { get; }

    /// <inheritdoc />
    public string Name => "process";

    /// <inheritdoc />
    /// <exception cref="WorkerProcessException">The worker could not start, exited without posting results or with a non-zero code, or was killed.</exception>
    public async Task<IReadOnlyList<TResult>> RunAttemptAsync<TRow, TResult>(PartitionAttempt<TRow, TResult> attempt, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(attempt);
        cancellationToken.ThrowIfCancellationRequested();
        var (partition, number) = (attempt.Launch.Partition, attempt.Launch.Attempt);
        var logger = attempt.LoggerFactory.CreateLogger<ProcessRunner>();
        var started = Stopwatch.GetTimestamp();

        var worker = WorkerProcess.Start(_command, attempt.Launch, attempt.Server.Name, Options, logger);
        await using var disposeWorker = worker.ConfigureAwait(false);
        Log.WorkerStarted(logger, partition, number, worker.Id, _command);

        var abandoned = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var onAbandon = cancellationToken.Register(() => abandoned.TrySetResult());
        var first = await Task.WhenAny(worker.Exited, attempt.PostedResults, attempt.Lost, abandoned.Task).ConfigureAwait(false);

        string? failure = null;
        if (first == attempt.Lost)
        {
            failure = $"stopped answering health checks ({await attempt.Lost.ConfigureAwait(false)}), so its process tree was killed";
            worker.Kill();
        }
        else if (first == attempt.PostedResults)
        {
            // The results are in; the worker exits next, on its own.
            if (await Task.WhenAny(worker.Exited, Task.Delay(Options.KillGracePeriod, CancellationToken.None), abandoned.Task).ConfigureAwait(false) != worker.Exited
                && !cancellationToken.IsCancellationRequested)
            {
                failure = $"posted its results but did not exit within {Options.KillGracePeriod.TotalSeconds:0.###} s, so its process tree was killed";
                Log.ExitTimedOut(logger, partition, number, worker.Id, Options.KillGracePeriod);
                worker.Kill();
            }
        }

        if (cancellationToken.IsCancellationRequested)
        {
            await worker.StopAsync(Options.KillGracePeriod).ConfigureAwait(false);
            Log.WorkerAbandoned(logger, partition, number, worker.Id);
            cancellationToken.ThrowIfCancellationRequested();
        }

        var exitCode = await worker.Exited.ConfigureAwait(false);
        Log.WorkerExited(logger, partition, number, worker.Id, exitCode, Stopwatch.GetElapsedTime(started));
        if (failure is null && exitCode == WorkerExitCodes.Succeeded && attempt.PostedResults.IsCompletedSuccessfully)
        {
            return attempt.PostedResults.Result;
        }

        failure ??= exitCode == WorkerExitCodes.Succeeded
            ? "exited with code 0 without posting its results (did Program.cs return before PartitionWorker.RunAsync finished?)"
            : $"exited with code {exitCode}{DescribeExitCode(exitCode)}";
        if (attempt.RowsFailure is { } rows)
        {
            failure += $"; {rows}";
        }

        throw new WorkerProcessException(partition, number, exitCode, failure, worker.StandardErrorTail);
    }

    /// <summary>What an exit code says, in words: the worker's own codes, and signals on Unix (128 + signal).</summary>
    internal static string DescribeExitCode(int exitCode) => exitCode switch
    {
        WorkerExitCodes.InvalidLaunch => " (invalid launch)",
        WorkerExitCodes.AttemptFailed => " (the partition attempt failed)",
        WorkerExitCodes.Abandoned => " (it abandoned the attempt)",
        > 128 and < 128 + 65 when !OperatingSystem.IsWindows() => $" (killed by signal {exitCode - 128}{SignalName(exitCode - 128)})",
        _ => string.Empty,
    };

    private static string SignalName(int signal) => signal switch
    {
        1 => ", SIGHUP",
        2 => ", SIGINT",
        6 => ", SIGABRT: the runtime aborted, for example on an unhandled exception",
        9 => ", SIGKILL",
        11 => ", SIGSEGV",
        15 => ", SIGTERM",
        _ => string.Empty,
    };
}
