using Microsoft.Extensions.Logging;
using Partitioned.Protocol;
using Partitioned.Server;
using Partitioned.Shared;

namespace Partitioned.Clustering;

/// <summary>
/// The executors of one runner in one cluster run, and the lifecycle of every attempt placed in them: the counterpart of
/// <see cref="WorkerSupervisor"/> for runners whose worker processes host several attempts
/// (<see cref="WorkerOptions.PartitionsPerExecutor"/>). The <see cref="IWorkerEngine"/> supplies what differs, as it does
/// for the supervisor: how an executor is started, what its launcher says, and how it is ended where it runs.
/// </summary>
/// <remarks>
/// <para>
/// An attempt is placed (<see cref="ExecutorPlacement"/>), told to its executor (<c>run p a</c>), and ends as an attempt of
/// its own process would: it succeeds when its results were posted; it fails when the executor reports it failed (an
/// exception in that partition's code fails only that attempt), when the coordinator marks it lost (the executor is told to
/// abandon it; when every attempt still in the executor is lost, as on a node cut off the network, the executor is ended
/// where it runs), or when the executor dies (every attempt in it fails, and the cluster re-launches each). An abandoned
/// attempt is abandoned in its executor.
/// </para>
/// <para>
/// An executor that no attempt still needs is retired: its standard input is closed, so it exits, and it is stopped by
/// force after the grace period. So no executor outlives the cluster's stop, and when the driver dies their input ends and
/// they exit by themselves.
/// </para>
/// </remarks>
internal sealed partial class ExecutorPool(IWorkerEngine engine, WorkerOptions options, WorkerCommand command, ExecutorSizing sizing, string loggerCategory, Func<string> nextId)
{
    private readonly Lock _gate = new();
    private readonly List<ExecutorProcess> _executors = [];
    private long _sequence;
    private int _attempts;
    private bool _retired;

    /// <summary>How executors are sized in this run.</summary>
    public ExecutorSizing Sizing => sizing;

    /// <summary>The executors alive now (for tests and benchmarks).</summary>
    public IReadOnlyList<ExecutorProcess> Executors
    {
        get
        {
            lock (_gate)
            {
                return [.. _executors];
            }
        }
    }

    /// <summary>Takes the pool out of use when it holds no executor and no attempt; false otherwise.</summary>
    public bool TryRetire()
    {
        lock (_gate)
        {
            _retired = _executors.Count == 0 && _attempts == 0;
            return _retired;
        }
    }

    /// <returns>The attempt's results; null when the pool was retired meanwhile (the caller uses a new pool).</returns>
    public async Task<IReadOnlyList<TResult>?> RunAttemptAsync<TRow, TResult>(PartitionAttempt<TRow, TResult> attempt, CancellationToken cancellationToken)
    {
        var launch = attempt.Launch;
        var (partition, number) = (launch.Partition, launch.Attempt);
        var logger = attempt.LoggerFactory.CreateLogger(loggerCategory);
        if (Place(attempt, logger) is not var (executor, member))
        {
            return null;
        }

        try
        {
            Log.Placed(logger, partition, number, executor.Id, executor.Members.Count, sizing.Slots);
            bool sent;
            try
            {
                // Cancellable: the command waits for the executor's token (under TLS, until the executor asks for it), and an
                // executor that never gets going (a Slurm job waiting in the queue) must not hold an abandoned attempt.
                sent = await executor.SendAsync(ExecutorProtocol.Command(ExecutorProtocol.Run, partition, number), cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                // Never told to the executor, so nothing runs there: its slot is free at once, and the release retires an
                // executor no attempt needs.
                member.End(new MemberEnd(WorkerExitCodes.Abandoned, "abandoned before its executor took it", ExecutorGone: false));
                throw;
            }

            if (!sent)
            {
                member.End(new MemberEnd(await executor.Exited.ConfigureAwait(false), $"its executor {executor.Id} was gone before the attempt could start there", ExecutorGone: true));
            }

            var abandoned = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            using var onAbandon = cancellationToken.Register(() => abandoned.TrySetResult());
            var first = await Task.WhenAny(attempt.PostedResults, attempt.Lost, member.Ended, abandoned.Task).ConfigureAwait(false);
            if (first == attempt.PostedResults)
            {
                if (!await EndsWithinAsync(member, options.KillGracePeriod).ConfigureAwait(false))
                {
                    // The results are in and count; an attempt slow to end (its server disposing) keeps its slot until it does.
                    Log.EndTimedOut(logger, partition, number, executor.Id, options.KillGracePeriod);
                }

                return attempt.PostedResults.Result;
            }

            if (first == attempt.Lost)
            {
                var lost = await attempt.Lost.ConfigureAwait(false);
                var how = await StopLostAsync(executor, member, logger).ConfigureAwait(false);
                throw Failure(attempt, executor, $"stopped answering health checks ({lost}), so {how}", member.Ended.IsCompletedSuccessfully ? member.Ended.Result : null);
            }

            if (first == abandoned.Task)
            {
                if (!attempt.PostedResults.IsCompletedSuccessfully)
                {
                    await AbandonAsync(executor, member).ConfigureAwait(false);
                    cancellationToken.ThrowIfCancellationRequested();
                }

                return attempt.PostedResults.Result;
            }

            var end = await member.Ended.ConfigureAwait(false);
            if (attempt.PostedResults.IsCompletedSuccessfully)
            {
                // Posted, then ended before this side saw the post: the results count.
                return attempt.PostedResults.Result;
            }

            throw Failure(attempt, executor, null, end);
        }
        finally
        {
            await ReleaseAsync(executor, member, logger).ConfigureAwait(false);
        }
    }

    private (ExecutorProcess Executor, ExecutorMember Member)? Place<TRow, TResult>(PartitionAttempt<TRow, TResult> attempt, ILogger logger)
    {
        var launch = attempt.Launch;
        ExecutorProcess executor;
        ExecutorMember member;
        var start = false;
        lock (_gate)
        {
            if (_retired)
            {
                return null;
            }

            var live = _executors.Where(static e => !e.Closing && !e.Exited.IsCompleted).ToList();
            var (chosen, startNew) = ExecutorPlacement.Choose(live, sizing, launch.Partition, attempt.PreviousAttempts, attempt.CurrentSiblingNodes);
            if (startNew)
            {
                executor = new ExecutorProcess(nextId(), sizing, _sequence++);
                _executors.Add(executor);
                start = true;
            }
            else
            {
                executor = chosen ?? throw new WorkerProcessException(launch.Partition, launch.Attempt, exitCode: null,
                    $"found no executor slot: {live.Count} executors run, all full or holding a replica of partition {launch.Partition}, and no more may start ({sizing}); " +
                    $"raise {nameof(WorkerOptions.PartitionsPerExecutor)} or {nameof(WorkerOptions.Executors)}", []);
            }

            member = new ExecutorMember(launch.Partition, launch.Attempt, launch.Replica, attempt);
            executor.Members[(launch.Partition, launch.Attempt)] = member;
            _attempts++;
        }

        if (executor.Node is { } node)
        {
            ((IPlacementSink)attempt).PlacedOn(node);
        }

        if (start)
        {
            var environment = WorkerVariables.Common(options, engine.WorkerIsChildProcess, launch.Coordinator, launch.ClusterId, attempt.Server.Name, launch.Tls);
            environment[WorkerProtocol.ExecutorVariable] = executor.Id;
            environment[WorkerProtocol.ExecutorSlotsVariable] = sizing.Capacity.ToString(System.Globalization.CultureInfo.InvariantCulture);
            var executorStart = new ExecutorStart(executor.Id, launch.ClusterId, sizing, attempt.PreviousAttempts, attempt.CurrentSiblingNodes, logger, executor);
            Log.Starting(logger, executor.Id, sizing.ToString(), launch.Partition, launch.Attempt);
            _ = executor.StartAsync(engine, executorStart, command, environment, launch.Token, launch.Tls is not null, options.StandardErrorTailLines, logger);
            _ = ForgetOnExitAsync(executor, logger);
        }

        return (executor, member);
    }

    /// <summary>
    /// A lost attempt's executor is told to abandon it; when every attempt still in the executor is lost (the executor or its
    /// node went silent), the executor is ended where it runs, which ends them all.
    /// </summary>
    private async Task<string> StopLostAsync(ExecutorProcess executor, ExecutorMember member, ILogger logger)
    {
        bool allLost;
        lock (_gate)
        {
            member.Lost = true;
            allLost = executor.Members.Values.All(static m => m.Lost || m.Released || m.Ended.IsCompleted);
            executor.Closing |= allLost;
        }

        if (allLost)
        {
            Log.Terminating(logger, executor.Id, "every attempt in it was marked lost");
            await executor.TerminateAsync(engine, logger).ConfigureAwait(false);
            await EndsWithinAsync(member, options.KillGracePeriod).ConfigureAwait(false);
            return $"its executor {executor.Id} was stopped{(executor.Node is { } node ? $" (on node {node})" : string.Empty)}";
        }

        await AbandonAsync(executor, member).ConfigureAwait(false);
        return $"it was abandoned in its executor {executor.Id}";
    }

    private async Task AbandonAsync(ExecutorProcess executor, ExecutorMember member)
    {
        if (member.Ended.IsCompleted)
        {
            return;
        }

        await executor.SendAsync(ExecutorProtocol.Command(ExecutorProtocol.Abandon, member.Partition, member.Attempt)).ConfigureAwait(false);
        await EndsWithinAsync(member, options.KillGracePeriod).ConfigureAwait(false);
    }

    /// <summary>The runner is done with the attempt: its slot is free once it ended, and an executor no attempt needs is retired.</summary>
    private async Task ReleaseAsync(ExecutorProcess executor, ExecutorMember member, ILogger logger)
    {
        bool retire;
        lock (_gate)
        {
            member.Released = true;
            _attempts--;
            if (member.Ended.IsCompletedSuccessfully && member.Ended.Result is { ExecutorGone: false, Code: not WorkerExitCodes.Succeeded })
            {
                executor.FailedPartitions.Add(member.Partition);
            }

            if (member.Ended.IsCompleted)
            {
                executor.Members.TryRemove(KeyValuePair.Create((member.Partition, member.Attempt), member));
            }
            else
            {
                // Code that ignores cancellation: the executor still runs it, so it keeps its slot until it ends there.
                _ = RemoveWhenEndedAsync(executor, member);
            }

            retire = !executor.Closing && executor.Members.Values.All(static m => m.Released);
            executor.Closing |= retire;
        }

        if (retire)
        {
            Log.Retiring(logger, executor.Id);
            await executor.RetireAsync(engine, options.KillGracePeriod, logger).ConfigureAwait(false);
        }
    }

    private async Task RemoveWhenEndedAsync(ExecutorProcess executor, ExecutorMember member)
    {
        await member.Ended.ConfigureAwait(false);
        lock (_gate)
        {
            executor.Members.TryRemove(KeyValuePair.Create((member.Partition, member.Attempt), member));
        }
    }

    private async Task ForgetOnExitAsync(ExecutorProcess executor, ILogger logger)
    {
        var code = await executor.Exited.ConfigureAwait(false);
        lock (_gate)
        {
            executor.Closing = true;
            _executors.Remove(executor);
        }

        Log.Exited(logger, executor.Id, executor.ProcessId, code);
    }

    private static WorkerProcessException Failure<TRow, TResult>(PartitionAttempt<TRow, TResult> attempt, ExecutorProcess executor, string? lost, MemberEnd? end)
    {
        var (partition, number) = (attempt.Launch.Partition, attempt.Launch.Attempt);
        string failure;
        int? code;
        IReadOnlyList<string> tail;
        if (lost is not null)
        {
            (failure, code, tail) = (lost, end is { ExecutorGone: true } ? end.Code : null, executor.TailOf(partition, number));
        }
        else if (end!.ExecutorGone)
        {
            (failure, code, tail) = (end.Reason, end.Code, executor.StandardErrorTail);
        }
        else if (end.Code == WorkerExitCodes.Succeeded)
        {
            (failure, code, tail) = ($"ended in its executor {executor.Id} without posting its results", end.Code, executor.TailOf(partition, number));
        }
        else
        {
            (failure, code, tail) = ($"failed in its executor {executor.Id} with code {end.Code}{WorkerSupervisor.DescribeExitCode(end.Code)}: {end.Reason}", end.Code, executor.TailOf(partition, number));
        }

        if (attempt.RowsFailure is { } rows)
        {
            failure += $"; {rows}";
        }

        return new WorkerProcessException(partition, number, code, failure, tail) { Node = attempt.Node };
    }

    private static async Task<bool> EndsWithinAsync(ExecutorMember member, TimeSpan grace)
    {
        try
        {
            await member.Ended.WaitAsync(grace).ConfigureAwait(false);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }
}
