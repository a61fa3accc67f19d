using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging;
using Partitioned.Protocol;
using Partitioned.Security;
using Partitioned.Server;

namespace Partitioned.Clustering;

/// <summary>
/// The lifecycle of one worker attempt started as a local process, shared by every runner that works that way
/// (<see cref="ProcessRunner"/>, <see cref="SlurmRunner"/>): the protocol's variables, the token on standard input,
/// output forwarding, waiting for results, loss or abandon, stopping by force after the grace period, and turning
/// how it ended into a result or a <see cref="WorkerProcessException"/>. The <see cref="IWorkerEngine"/> supplies
/// only what differs: the command line, the launcher's own output, and how to end the attempt where it runs.
/// </summary>
/// <remarks>
/// An attempt succeeds when its worker posted its results: results the coordinator accepted are never thrown away
/// because the process was slow to exit afterwards (it is then stopped by force, and the results stand). Without
/// results, the exit code says why; a launcher's exit code alone never counts as success.
/// </remarks>
internal sealed partial class WorkerSupervisor(IWorkerEngine engine, WorkerOptions options, WorkerCommand command, string loggerCategory)
{
    public async Task<IReadOnlyList<TResult>> RunAttemptAsync<TRow, TResult>(PartitionAttempt<TRow, TResult> attempt, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(attempt);
        cancellationToken.ThrowIfCancellationRequested();
        var launch = attempt.Launch;
        var (partition, number) = (launch.Partition, launch.Attempt);
        var logger = attempt.LoggerFactory.CreateLogger(loggerCategory);
        var started = Stopwatch.GetTimestamp();

        var start = await engine.PrepareAsync(attempt, command, ProtocolEnvironment(launch, attempt.Server.Name), cancellationToken).ConfigureAwait(false);
        var worker = WorkerProcess.Start(start, launch, options.StandardErrorTailLines, logger, line => engine.TryReadLauncherLine(line, $"Partition {partition} attempt {number}", attempt, logger));
        await using var disposeWorker = worker.ConfigureAwait(false);
        Log.WorkerStarted(logger, partition, number, worker.Id, start);

        var abandoned = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var onAbandon = cancellationToken.Register(() => abandoned.TrySetResult());
        var first = await Task.WhenAny(worker.Exited, attempt.PostedResults, attempt.Lost, abandoned.Task).ConfigureAwait(false);

        string? failure = null;
        if (first == attempt.Lost)
        {
            failure = $"stopped answering health checks ({await attempt.Lost.ConfigureAwait(false)}), so {Stopped(start)}";
            await TerminateAsync(worker, start, logger).ConfigureAwait(false);
        }
        else if (first == attempt.PostedResults && !await worker.ExitsWithinAsync(options.KillGracePeriod, cancellationToken).ConfigureAwait(false))
        {
            // The results are in and count; a worker slow to exit (a busy machine) is only stopped, never failed.
            Log.ExitTimedOut(logger, partition, number, worker.Id, options.KillGracePeriod);
            await TerminateAsync(worker, start, logger).ConfigureAwait(false);
        }

        if (cancellationToken.IsCancellationRequested && !attempt.PostedResults.IsCompletedSuccessfully)
        {
            await AbandonAsync(worker, start, logger, partition, number).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
        }

        var exitCode = await worker.Exited.ConfigureAwait(false);
        Log.WorkerExited(logger, partition, number, worker.Id, exitCode, Stopwatch.GetElapsedTime(started));
        if (failure is null && attempt.PostedResults.IsCompletedSuccessfully)
        {
            if (exitCode != WorkerExitCodes.Succeeded && !worker.WasKilled)
            {
                Log.ExitedBadlyAfterResults(logger, partition, number, worker.Id, exitCode);
            }

            return attempt.PostedResults.Result;
        }

        failure ??= exitCode == WorkerExitCodes.Succeeded
            ? engine.DescribeExitWithoutResults(exitCode)
            : $"exited with code {exitCode}{DescribeExitCode(exitCode)}";
        if (attempt.RowsFailure is { } rows)
        {
            failure += $"; {rows}";
        }

        throw new WorkerProcessException(partition, number, exitCode, failure, worker.StandardErrorTail) { Node = attempt.Node };
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

    /// <summary>The protocol's variables (never the token) and the user's, for the worker's environment.</summary>
    private Dictionary<string, string?> ProtocolEnvironment(PartitionLaunch launch, string server)
    {
        var environment = WorkerVariables.Common(options, engine.WorkerIsChildProcess, launch.Coordinator, launch.ClusterId, server, launch.Tls);
        environment[WorkerProtocol.PartitionVariable] = launch.Partition.ToString(CultureInfo.InvariantCulture);
        environment[WorkerProtocol.AttemptVariable] = launch.Attempt.ToString(CultureInfo.InvariantCulture);
        environment[WorkerProtocol.ReplicaVariable] = launch.Replica.ToString(CultureInfo.InvariantCulture);
        return environment;
    }

    /// <summary>Closes the worker's standard input (it abandons its attempt and exits), and stops it by force after the grace period.</summary>
    private async Task AbandonAsync(WorkerProcess worker, WorkerStart start, ILogger logger, int partition, int number)
    {
        worker.CloseInput();
        if (!await worker.ExitsWithinAsync(options.KillGracePeriod).ConfigureAwait(false))
        {
            Log.KillingAfterGrace(logger, partition, number, worker.Id, options.KillGracePeriod);
            await TerminateAsync(worker, start, logger).ConfigureAwait(false);
        }

        await worker.Exited.ConfigureAwait(false);
        Log.WorkerAbandoned(logger, partition, number, worker.Id);
    }

    /// <summary>Ends the attempt where it runs, then kills the local process tree.</summary>
    private async Task TerminateAsync(WorkerProcess worker, WorkerStart start, ILogger logger)
    {
        if (start.Handle is not null)
        {
            await engine.CancelAsync(start, logger).ConfigureAwait(false);
        }

        worker.Kill();
    }

    private static string Stopped(WorkerStart start) => start.Handle is null ? "its process tree was killed" : $"its job {start.Handle} was cancelled";

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
