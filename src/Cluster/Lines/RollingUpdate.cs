using Partitioned.Coordination;
using Partitioned.Directories;
using Partitioned.Server;

namespace Partitioned.Clustering;

/// <summary>Rolling updates: every replica replaced by the new version one at a time, never fewer serving than before.</summary>
internal sealed class RollingUpdate<TRow, TResult>(PartitionLines<TRow, TResult> lines) : IDisposable
{
    // Why a rollout gave up its new attempt when the cluster stopped (that attempt is then abandoned, not failed).
    private const string StoppedReason = "the cluster stopped";

    // A rollout cancelled by a stop ends within about this long: giving up its new attempt waits up to 10 s for it
    // to end, and handing a replica over sends one shutdown (5 s at most).
    private static readonly TimeSpan s_rolloutStopWait = TimeSpan.FromSeconds(20);

    // Cancels the rollout under way when the cluster stops: every rollout's token is linked to it.
    private readonly CancellationTokenSource _stopRollout = new();
    private int _updating;

    // Under the lines' gate: completes when the rollout under way ended (null when none runs), so a stop can wait for it.
    private TaskCompletionSource? _rollout;

    /// <summary>
    /// Replaces every replica with <paramref name="server"/>, one at a time: the new attempt starts next to the old one
    /// (a surge of one), its registration takes over the replica's place in the directory, and only then is the old one
    /// drained and stopped. A new attempt that fails or does not serve in time stops the rollout; the old one keeps serving.
    /// A stop of the cluster cancels the rollout (<see cref="StopAsync"/>): its new attempt is stopped, or, if it
    /// already took the replica's place, left to the stop to shut down like any other.
    /// </summary>
    /// <param name="server">The new version.</param>
    /// <param name="shutdown">Sends a graceful shutdown to an endpoint; returns null when accepted, otherwise why not.</param>
    /// <param name="cancellationToken">Stops waiting (the replica being replaced then keeps its old version).</param>
    /// <returns>The new version number.</returns>
    /// <exception cref="InvalidOperationException">Another update is under way, or the cluster stopped (before or during the rollout).</exception>
    public async Task<int> UpdateAsync(PartitionServerDefinition<TRow, TResult> server, Func<Uri, CancellationToken, Task<string?>> shutdown, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (Interlocked.CompareExchange(ref _updating, 1, 0) != 0)
        {
            throw new InvalidOperationException("A rolling update is already under way; wait for it to finish before starting another.");
        }

        var version = new ServerVersion<TRow, TResult>(server, lines.CurrentVersion.Number + 1);
        var replaced = 0;
        var ended = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        CancellationTokenSource? rollout = null;
        try
        {
            lock (lines.Gate)
            {
                // Checked under the lock a stop reads the rollout under: a stop either sees this rollout (and cancels
                // and waits for it) or this rollout sees the stop, so no new attempt starts behind a stop's back.
                if (lines.IsStopping)
                {
                    throw new InvalidOperationException("The cluster is stopping, so no rolling update can start.");
                }

                rollout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _stopRollout.Token);
                _rollout = ended;
            }

            for (var partition = 0; partition < lines.Partitions.Count; partition++)
            {
                for (var replica = 0; replica < lines.Replicas; replica++)
                {
                    // A slot autoscaling retired (or never used) has nothing to replace; it runs the new version when it serves again.
                    if (lines.Coordinator.Directory.Current[partition].Replicas[replica].State == PartitionState.Retired)
                    {
                        continue;
                    }

                    await ReplaceAsync(lines.Line(partition, replica), version, replaced, shutdown, rollout.Token).ConfigureAwait(false);
                    replaced++;
                }
            }

            // From now on, re-launches of any replica run the new version too.
            lines.CurrentVersion = version;
            return version.Number;
        }
        catch (OperationCanceledException ex) when (lines.IsStopping && !cancellationToken.IsCancellationRequested)
        {
            throw ClusterStopped(version.Number, replaced, ex);
        }
        finally
        {
            lock (lines.Gate)
            {
                _rollout = null;
            }

            rollout?.Dispose();
            ended.TrySetResult();
            Volatile.Write(ref _updating, 0);
        }
    }

    /// <summary>
    /// Cancels the rolling update under way, if any, and waits (bounded) until it ended: its new attempt was stopped, or
    /// it had already taken its replica's place (then the line follows it and the stop shuts it down with the others).
    /// Call after <see cref="PartitionLines{TRow, TResult}.BeginStop"/> or <see cref="PartitionLines{TRow, TResult}.AbandonAll"/>,
    /// before the stop reads the directory, so that no attempt the rollout started outlives the stop.
    /// </summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        Task? ended;
        lock (lines.Gate)
        {
            ended = _rollout?.Task;
        }

        if (ended is null)
        {
            return;
        }

        await _stopRollout.CancelAsync().ConfigureAwait(false);

        // Real time, not the cluster's clock: this waits for runners to end attempts, which a test clock does not drive.
        await ended.WaitAsync(s_rolloutStopWait, cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        if (!ended.IsCompleted)
        {
            LinesLog.RolloutDidNotStop(lines.Logger, s_rolloutStopWait);
        }
    }

    /// <summary>True while a rolling update runs: autoscaling takes no step meanwhile.</summary>
    public bool IsUpdating => Volatile.Read(ref _updating) != 0;

    public void Dispose() => _stopRollout.Dispose();

    private static InvalidOperationException ClusterStopped(int version, int replaced, Exception inner) => new(
        $"The cluster stopped while the rolling update to version {version} was under way: the rollout stopped with it after " +
        $"{replaced} replica(s), and the new server it was starting was stopped too.",
        inner);

    private async Task ReplaceAsync(ReplicaLine<TRow, TResult> line, ServerVersion<TRow, TResult> version, int replaced, Func<Uri, CancellationToken, Task<string?>> shutdown, CancellationToken cancellationToken)
    {
        var (partition, replica) = (line.Partition, line.Replica);
        var options = lines.Settings.Options;
        var timeout = options.StartTimeout;
        var directory = lines.Coordinator.Directory;

        // A replica being re-launched is waited for first: replacing it then keeps the count of serving replicas.
        LineAttempt<TRow, TResult>? old = null;
        try
        {
            using var ready = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            ready.CancelAfter(timeout);
            await directory.WaitUntilAsync(
                snapshot =>
                {
                    old = line.ReadCurrent();
                    return lines.IsStopping || (old is not null && snapshot[partition].Replicas[replica] is { State: PartitionState.Serving } entry && entry.Attempt == old.Number);
                },
                ready.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new RollingUpdateException(partition, replica, version.Number, replaced, $"the replica was not serving its old version within {timeout.TotalSeconds:0} s, so it was not replaced");
        }

        if (lines.IsStopping || old is null)
        {
            // UpdateAsync turns this into the error saying the cluster stopped.
            throw new OperationCanceledException("The cluster is stopping.");
        }

        var oldEndpoint = directory.Current[partition].Replicas[replica].Endpoint!;
        var incoming = line.Launch(version, [], incoming: true);
        var number = incoming.Number;
        string? error = null;
        using (var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
        {
            deadline.CancelAfter(timeout);
            var serving = directory.WaitUntilAsync(s => s[partition].Replicas[replica] is { State: PartitionState.Serving } e && e.Attempt == number, deadline.Token);
            await Task.WhenAny(serving, incoming.Task).ConfigureAwait(false);

            // A stop that cancels the wait just as the new attempt registers: it holds the replica's place in the
            // directory now, so the line follows it and the stop shuts it down (the stop reads the directory after
            // the rollout ended). Giving it up instead would leave the old one out of the directory, unreached by the stop.
            if (!serving.IsCompletedSuccessfully && !(lines.IsStopping && IsServing(partition, replica, number)))
            {
                await deadline.CancelAsync().ConfigureAwait(false);
                error = incoming.Task.IsFaulted ? PartitionAttemptException.Describe(incoming.Task.Exception!.InnerException!)
                    : incoming.Task.IsCompleted ? "it stopped before it registered"
                    : lines.IsStopping ? StoppedReason
                    : cancellationToken.IsCancellationRequested ? "the update was cancelled"
                    : $"it did not register within {timeout.TotalSeconds:0} s";
            }
        }

        if (error is not null)
        {
            await GiveUpIncomingAsync(line, old, incoming, error).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
            throw new RollingUpdateException(partition, replica, version.Number, replaced, error, incoming.Task.Exception?.InnerException);
        }

        // The new attempt serves and took the replica's place in the directory, so no new request goes to the old one:
        // the line follows the new attempt, and the old one drains what it holds and stops. Until it ends, its worker
        // still reaches the attempt routes (its results are taken, not used): a clean drain is a success, not a failure.
        bool movedOn;
        lock (lines.Gate)
        {
            // The line moved on only if the old attempt died, the line adopted the new one, and that died too (and
            // was re-launched with the old version) between its registration and now.
            movedOn = line.Current != old && line.Current != incoming;
            if (!movedOn)
            {
                line.Current = incoming;
                incoming.Adopted = false;

                // Checked under the lock its line forgets it under (after ending it), so an attempt that already ended stays out.
                if (!old.Attempt.IsEnded)
                {
                    lines.AddDraining(old);
                }
            }

            old.Incoming = null;
        }

        if (movedOn)
        {
            throw new RollingUpdateException(partition, replica, version.Number, replaced, "the new attempt died right after it registered (its predecessor had died too), so the replica was re-launched with the old version");
        }

        // The old attempt left the directory, so nothing else (a stop under way included) will ask it to stop: the
        // request is sent whatever happens to the rollout meanwhile (it has a timeout of its own), since cancelling it
        // half way would leave the old attempt running, out of every stop's reach.
        if (await shutdown(oldEndpoint, CancellationToken.None).ConfigureAwait(false) is { } problem)
        {
            LinesLog.AttemptFailed(lines.Logger, partition, old.Number, $"the rolling update could not drain it ({problem}); abandoning it");
            await AbandonDrainingAsync(old).ConfigureAwait(false);
        }

        try
        {
            await ((Task)old.Task).WaitAsync(options.StopTimeout, options.TimeProvider, cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
        finally
        {
            // While the cluster stops, the old attempt drains on (its line waits for it, and the stop for its line, up
            // to the stop timeout); otherwise one that did not stop in time is abandoned.
            if (!old.Task.IsCompleted && !lines.IsStopping)
            {
                await AbandonDrainingAsync(old).ConfigureAwait(false);
            }
        }
    }

    // The new version failed: stop it, and give the replica's place back to the old attempt, which never stopped serving.
    // If the old one died meanwhile, its line adopted the new attempt (and may have re-launched the old version since):
    // then the line records the failure and re-launches the old version (decided before the cancel, so the line knows
    // why its attempt ends), and the old attempt, being dead, is not reinstated.
    private async Task GiveUpIncomingAsync(ReplicaLine<TRow, TResult> line, LineAttempt<TRow, TResult> old, LineAttempt<TRow, TResult> incoming, string error)
    {
        bool lineMovedOn;
        lock (lines.Gate)
        {
            lineMovedOn = line.Current != old;
            if (lineMovedOn)
            {
                incoming.GivenUp = error;
            }

            old.Incoming = null;
        }

        await incoming.Cancellation.CancelAsync().ConfigureAwait(false);
        if (lineMovedOn)
        {
            return;
        }

        await ((Task)incoming.Task).WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        incoming.Attempt.End();
        lines.Coordinator.ReinstateAttempt(line.Partition, line.Replica, old.Number, old.Version.Number);
        var status = error == StoppedReason ? AttemptStatus.Abandoned : AttemptStatus.Failed;
        lines.Record([], line.Outcome(incoming, status, $"rolling update to version {incoming.Version.Number}: {error}", incoming.Task.Exception?.InnerException));
    }

    // A replaced attempt that did not drain is abandoned: over for its worker at once (410), not only once its line ended it.
    private async Task AbandonDrainingAsync(LineAttempt<TRow, TResult> old)
    {
        lines.ForgetDraining(old);
        await old.Cancellation.CancelAsync().ConfigureAwait(false);
    }

    private bool IsServing(int partition, int replica, int attempt) =>
        lines.Coordinator.Directory.Current[partition].Replicas[replica] is { State: PartitionState.Serving } entry && entry.Attempt == attempt;
}
