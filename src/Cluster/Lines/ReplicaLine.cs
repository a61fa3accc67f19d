using Partitioned.Coordination;
using Partitioned.Directories;
using Partitioned.Server;
using Partitioned.Shared;

namespace Partitioned.Clustering;

/// <summary>
/// One replica's line of attempts, run through the runner one after another: launched, registered (serving), maybe
/// suspected, lost (ended by <see cref="PartitionLines{TRow, TResult}.RelaunchLost"/>) or failed, re-launched as the next
/// attempt after a backoff (<see cref="ClusterOptions.RelaunchDelay"/>, doubling, at most 5 s), until it ends: its attempt
/// hands back results, it failed <see cref="ClusterOptions.MaxAttempts"/> times (failed for good), or it was abandoned.
/// During a rolling update its attempt may be replaced (the line follows the new one) or, if it dies while its successor
/// starts, the line adopts the successor (<see cref="AdoptIncoming"/>).
/// </summary>
internal sealed class ReplicaLine<TRow, TResult>(PartitionLines<TRow, TResult> lines, int partition, int replica)
{
    private static readonly TimeSpan s_maxRelaunchDelay = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan s_siblingPlacementWait = TimeSpan.FromSeconds(20);

    // What the line did last: Launched (then the directory tells the rest), Relaunching, or Ended.
    private volatile LineState _state = LineState.Launched;
    private volatile bool _retiring;

    public int Partition { get; } = partition;

    public int Replica { get; } = replica;

    /// <summary>
    /// Set by a scale-down before it takes the replica out of routing: from then on a failed attempt ends the line instead
    /// of being re-launched, and the line's end is no failure of the partition. Cleared when the slot runs again.
    /// </summary>
    public bool Retiring
    {
        get => _retiring;
        set => _retiring = value;
    }

    /// <summary>The line's run now or last (null before its first): its result set. Under the lines' gate.</summary>
    internal Task<IReadOnlyList<TResult>>? Run { get; private set; }

    /// <summary>True while the line runs (under the lines' gate).</summary>
    internal bool IsRunning => Run is { IsCompleted: false };

    /// <summary>The line's attempt now (null until its first launch). Read and written under the lines' gate; <see cref="ReadCurrent"/> takes it.</summary>
    internal LineAttempt<TRow, TResult>? Current { get; set; }

    /// <summary>
    /// Where the line stands: <see cref="LineState.Relaunching"/> or <see cref="LineState.Ended"/> as its run says;
    /// otherwise what the directory says of its current attempt (launched and not registered yet, serving, suspected, lost).
    /// </summary>
    public LineState State
    {
        get
        {
            var state = _state;
            if (state != LineState.Launched || ReadCurrent() is not { } current)
            {
                return state;
            }

            var entry = lines.Coordinator.Directory.Current[Partition].Replicas[Replica];
            return entry.Attempt != current.Number ? LineState.Launched : entry.State switch
            {
                PartitionState.Serving => entry.Suspected ? LineState.Suspected : LineState.Serving,
                PartitionState.Lost => LineState.Lost,
                _ => LineState.Launched,
            };
        }
    }

    private ClusterOptions Options => lines.Settings.Options;

    public LineAttempt<TRow, TResult>? ReadCurrent()
    {
        lock (lines.Gate)
        {
            return Current;
        }
    }

    /// <summary>Starts a run of the line (<see cref="RunAsync"/>). The caller holds the lines' gate and checked <see cref="IsRunning"/>.</summary>
    internal Task<IReadOnlyList<TResult>> StartRun()
    {
        _retiring = false;
        _state = LineState.Launched;
        Run = Task.Run(RunAsync);
        return Run;
    }

    /// <summary>Runs the line until it ends; its result set, or the <see cref="PartitionFailedException"/> saying why it has none.</summary>
    public async Task<IReadOnlyList<TResult>> RunAsync()
    {
        try
        {
            return await RunAttemptsAsync().ConfigureAwait(false);
        }
        finally
        {
            _state = LineState.Ended;
        }
    }

    /// <summary>
    /// Starts an attempt of this replica with the next attempt number of its partition: as the line's attempt, or
    /// (<paramref name="incoming"/>) as a rolling update's new attempt next to it. Only this attempt may register for the
    /// replica from now on: a stale one is refused, and so is any attempt nobody launched.
    /// </summary>
    internal LineAttempt<TRow, TResult> Launch(ServerVersion<TRow, TResult> version, IReadOnlyList<AttemptOutcome> previous, bool incoming = false)
    {
        var settings = lines.Settings;
        var coordinator = lines.Coordinator;
        var number = lines.NextAttemptNumber(Partition);
        var cancellation = CancellationTokenSource.CreateLinkedTokenSource(lines.Abandoned);
        var attempt = new PartitionAttempt<TRow, TResult>(settings.LaunchFor(Partition, number, coordinator.Address, Replica), version.Server, settings.Dataset, settings.LoggerFactory, Options.TimeProvider, previous)
        {
            SiblingNodes = () => lines.SiblingNodes(Partition, Replica),
            Replicas = lines.Replicas,
        };
        var run = new LineAttempt<TRow, TResult>(attempt, cancellation, version, Options.TimeProvider.GetUtcNow());
        lock (lines.Gate)
        {
            if (incoming)
            {
                Current!.Incoming = run;
            }
            else
            {
                Current = run;
                _state = LineState.Launched;
            }
        }

        coordinator.AdmitAttempt(Partition, Replica, number, version.Number);
        lines.Assignment.Signal(Partition);
        LinesLog.AttemptStarting(lines.Logger, Partition, number, Replica, Options.Runner.Name);
        run.Task = Task.Run(() => Options.Runner.RunAttemptAsync(attempt, cancellation.Token));
        return run;
    }

    /// <summary>How an attempt ended, with the node it ran on: the runner's word, else the node it registered from.</summary>
    internal AttemptOutcome Outcome(LineAttempt<TRow, TResult> run, AttemptStatus status, string? error, Exception? exception)
    {
        var registered = lines.Coordinator.Directory.Current[Partition].Replicas[Replica];
        var node = run.Attempt.Node ?? (registered.Attempt == run.Number ? registered.Node : null);
        return new AttemptOutcome(Partition, run.Number, status, error, exception, run.Started, Options.TimeProvider.GetUtcNow()) { Node = node, Replica = Replica };
    }

    private async Task<IReadOnlyList<TResult>> RunAttemptsAsync()
    {
        var attempts = new List<AttemptOutcome>();
        var firstDelay = Options.RelaunchDelay;
        var relaunchBackoff = new RetryBackoff(firstDelay < s_maxRelaunchDelay ? firstDelay : s_maxRelaunchDelay, s_maxRelaunchDelay);
        var failures = 0;
        await WaitForSiblingPlacementAsync().ConfigureAwait(false);
        var run = Launch(lines.CurrentVersion, []);
        while (true)
        {
            var current = run;
            var version = current.Version;
            try
            {
                var results = await current.Task.ConfigureAwait(false);
                lines.Record(attempts, Outcome(current, AttemptStatus.Succeeded, null, null));
                if (ReadCurrent() is { } next && next != current)
                {
                    // A rolling update replaced this attempt and drained it: the line goes on with its successor.
                    run = next;
                    continue;
                }

                return results;
            }
            catch (Exception ex) when (current.Cancellation.IsCancellationRequested && current.GivenUp is { } givenUp && !lines.IsStopping)
            {
                // A rolling update's new attempt, adopted when the old one died, then given up (it did not serve in
                // time, or the update was cancelled): a failed attempt, re-launched below with the version before the update.
                lines.Record(attempts, Outcome(current, AttemptStatus.Failed, $"rolling update to version {version.Number}: {givenUp}", ex));
            }
            catch (Exception ex) when (current.Cancellation.IsCancellationRequested)
            {
                lines.Record(attempts, Outcome(current, AttemptStatus.Abandoned, "abandoned by the cluster", ex));
                if (ReadCurrent() is { } next && next != current && !lines.Abandoned.IsCancellationRequested)
                {
                    run = next;
                    continue;
                }

                throw new PartitionFailedException(Partition, attempts, "its attempt was abandoned before it produced results");
            }
            catch (Exception ex)
            {
                var error = PartitionAttemptException.Describe(ex);
                lines.Record(attempts, Outcome(current, AttemptStatus.Failed, error, ex));
                LinesLog.AttemptFailed(lines.Logger, Partition, current.Number, error);
                lines.Coordinator.ReportError(Partition, current.Number, error);
                if (ReadCurrent() is { } next && next != current)
                {
                    // It died after a rolling update replaced it: its successor serves, nothing to re-launch.
                    run = next;
                    continue;
                }

                if (AdoptIncoming(current) is { } successor)
                {
                    // It died while a rolling update started its successor: the successor is the replica's attempt now
                    // (the rollout sees it serve and goes on). Re-launching the old version instead would fence it out.
                    LinesLog.SuccessorAdopted(lines.Logger, Partition, current.Number, successor.Number);
                    run = successor;
                    continue;
                }
            }
            finally
            {
                current.Attempt.End();
                lines.ForgetDraining(current);
            }

            if (_retiring)
            {
                // Autoscaling retired this replica: its attempt ended while it drained, and nothing takes its place.
                throw new PartitionFailedException(Partition, attempts, $"replica {Replica} was retired by autoscaling and its attempt failed while draining");
            }

            if (current.Adopted)
            {
                // The new version never served here: the replica goes back to the version before the update.
                version = lines.CurrentVersion;
            }

            if (lines.IsStopping)
            {
                throw new PartitionFailedException(Partition, attempts, "its attempt failed while the cluster was stopping, so it was not re-launched");
            }

            if (++failures >= Options.MaxAttempts)
            {
                throw FailForGood(attempts);
            }

            if (!await DelayRelaunchAsync(relaunchBackoff.Next()).ConfigureAwait(false))
            {
                // The cluster stopped or gave up while this replica waited to be re-launched: not a partition failure.
                throw new PartitionFailedException(Partition, attempts, "the cluster stopped while it waited to be re-launched");
            }

            run = Launch(version, [.. attempts]);
        }
    }

    /// <summary>The replica failed <see cref="ClusterOptions.MaxAttempts"/> attempts: the directory marks it failed, and the line ends.</summary>
    private PartitionFailedException FailForGood(List<AttemptOutcome> attempts)
    {
        var failure = new PartitionFailedException(Partition, attempts, lines.Replicas > 1 ? $"replica {Replica} failed all {attempts.Count} attempts" : null);
        lines.Coordinator.MarkReplicaFailed(Partition, Replica, $"gave up after {attempts.Count} attempts; last error: {attempts[^1].Error}");
        lines.Assignment.Signal(Partition);
        LinesLog.LineFailed(lines.Logger, Partition, Replica, attempts.Count);
        lines.OnLineFailed(failure);
        return failure;
    }

    /// <summary>The line's attempt died while a rolling update started its successor: the successor becomes the line's attempt.</summary>
    private LineAttempt<TRow, TResult>? AdoptIncoming(LineAttempt<TRow, TResult> current)
    {
        lock (lines.Gate)
        {
            if (lines.IsStopping || current.Incoming is not { } incoming || Current != current)
            {
                return null;
            }

            Current = incoming;
            current.Incoming = null;
            incoming.Adopted = true;
            return incoming;
        }
    }

    private async Task<bool> DelayRelaunchAsync(TimeSpan delay)
    {
        if (lines.IsStopping)
        {
            return false;
        }

        try
        {
            var backoff = Task.Delay(delay, Options.TimeProvider, lines.Abandoned);

            // Said once the timer runs, so the backoff counts from before anyone sees the line relaunching.
            _state = LineState.Relaunching;
            await backoff.ConfigureAwait(false);
            return !lines.IsStopping;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    // On a runner with nodes, a replica's first launch waits (a little) until its lower siblings are placed, so the
    // runner knows which nodes to avoid; replicas launched all at once would otherwise land wherever the engine likes.
    private async Task WaitForSiblingPlacementAsync()
    {
        if (Replica == 0 || !Options.Runner.PartitionsRunElsewhere)
        {
            return;
        }

        // Real time, not the cluster's clock: this waits for an engine outside the process, which a test clock does not drive.
        var deadline = Environment.TickCount64 + (long)s_siblingPlacementWait.TotalMilliseconds;
        while (!lines.IsStopping && Environment.TickCount64 < deadline)
        {
            var placed = true;
            for (var sibling = 0; sibling < Replica; sibling++)
            {
                // A lower sibling not launched yet is not placed yet: its line starts concurrently with this one.
                placed &= lines.Line(Partition, sibling).ReadCurrent() is { } line && (line.Attempt.IsEnded || line.Attempt.Node is not null);
            }

            if (placed)
            {
                return;
            }

            await Task.Delay(50).ConfigureAwait(false);
        }
    }
}
