using Microsoft.Extensions.Logging;
using Partitioned.Coordination;
using Partitioned.Server;
using Partitioned.Shared;

namespace Partitioned.Clustering;

/// <summary>
/// The partition tasks of one cluster run: one attempt line per (partition, replica) that runs attempts through the
/// runner, re-launches a failed attempt with the next attempt number (with backoff) up to the maximum, and records
/// every attempt's outcome. Shared by every runner, so retry semantics are the same everywhere.
/// </summary>
/// <remarks>
/// Attempt numbers are unique per partition across its replicas (one counter per partition), so the coordinator's
/// (partition, attempt) keys, the attempt routes and fencing work unchanged; the replica travels with the launch.
/// </remarks>
internal sealed partial class PartitionJob<TRow, TResult> : IDisposable
{
    private static readonly TimeSpan s_maxRelaunchDelay = TimeSpan.FromSeconds(5);

    private readonly ClusterRunSettings<TRow, TResult> _settings;
    private Coordinator? _coordinator;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _abort = new();
    private readonly LineRun?[][] _lines;
    private readonly int[] _attemptCounters;
    private readonly Task<IReadOnlyList<TResult>>[] _partitions;
    private readonly List<AttemptOutcome> _outcomes = [];
    private readonly Lock _gate = new();
    private readonly TaskCompletionSource<PartitionFailedException> _firstFailure = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<PartitionFailedException> _firstPartitionFailure = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource[] _nextAttempt;
    private volatile bool _stopping;
    private volatile ServerVersion _version;

    public PartitionJob(ClusterRunSettings<TRow, TResult> settings, ILogger logger)
    {
        _settings = settings;
        _logger = logger;
        var count = settings.Dataset.PartitionCount;
        _lines = [.. Enumerable.Range(0, count).Select(_ => new LineRun?[settings.Options.Replicas])];
        _attemptCounters = new int[count];
        _partitions = new Task<IReadOnlyList<TResult>>[count];
        _nextAttempt = [.. Enumerable.Range(0, count).Select(static _ => NewSignal())];
        _version = new ServerVersion(settings.Server, 0);
    }

    /// <summary>Raised when an attempt ends, on the partition's task.</summary>
    public event Action<AttemptOutcome>? AttemptCompleted;

    /// <summary>Raised when a partition fails for good.</summary>
    public event Action<PartitionFailedException>? PartitionFailed;

    /// <summary>Completes with the first replica line that failed for good (with one replica, the first partition).</summary>
    public Task<PartitionFailedException> FirstFailure => _firstFailure.Task;

    /// <summary>Completes with the first partition whose every replica failed for good.</summary>
    public Task<PartitionFailedException> FirstPartitionFailure => _firstPartitionFailure.Task;

    public IReadOnlyList<AttemptOutcome> Outcomes
    {
        get
        {
            lock (_gate)
            {
                return [.. _outcomes];
            }
        }
    }

    public IReadOnlyList<Task<IReadOnlyList<TResult>>> Partitions => _partitions;

    /// <summary>The server definition and version new attempts run.</summary>
    public int Version => _version.Number;

    private Coordinator Coordinator => _coordinator ?? throw new InvalidOperationException("The job has not started.");

    private int Replicas => _settings.Options.Replicas;

    public void Start(Coordinator coordinator)
    {
        _coordinator = coordinator;
        for (var partition = 0; partition < _partitions.Length; partition++)
        {
            var index = partition;
            var lines = Enumerable.Range(0, Replicas).Select(replica => Task.Run(() => RunLineAsync(index, replica))).ToArray();
            _partitions[index] = CombineAsync(index, lines);
        }
    }

    public bool IsStopping => _stopping;

    /// <summary>From now on a failed attempt is not re-launched: the cluster is stopping.</summary>
    public void BeginStop()
    {
        _stopping = true;
        WakeAssignments();
    }

    /// <summary>Abandons one replica's current attempt (it gets no results).</summary>
    public void Abandon(int partition, int replica)
    {
        Line(partition, replica)?.Cancellation.Cancel();
    }

    /// <summary>Abandons every attempt and stops re-launching.</summary>
    public void AbandonAll()
    {
        _stopping = true;
        _abort.Cancel();
        WakeAssignments();
    }

    // Workers waiting for an attempt number learn that none will come.
    private void WakeAssignments()
    {
        for (var partition = 0; partition < _nextAttempt.Length; partition++)
        {
            SignalNextAttempt(partition);
        }
    }

    /// <summary>
    /// The attempt of a partition with number <paramref name="attempt"/> that the job still holds, or null: a replica's
    /// attempt, one a rolling update is rolling in, or one a rolling update replaced that is still draining.
    /// </summary>
    public PartitionAttempt<TRow, TResult>? GetAttempt(int partition, int attempt)
    {
        if ((uint)partition >= (uint)_lines.Length)
        {
            return null;
        }

        lock (_gate)
        {
            foreach (var line in _lines[partition])
            {
                if (line?.Attempt.Launch.Attempt == attempt)
                {
                    return line.Attempt;
                }

                if (line?.Incoming?.Attempt.Launch.Attempt == attempt)
                {
                    return line.Incoming.Attempt;
                }
            }

            return FindDraining(partition, attempt);
        }
    }

    public void Dispose()
    {
        _abort.Dispose();
        _stopRollout.Dispose();
    }

    private LineRun? Line(int partition, int replica)
    {
        lock (_gate)
        {
            return _lines[partition][replica];
        }
    }

    /// <summary>Starts an attempt of a replica line with the next attempt number of its partition.</summary>
    private LineRun Launch(int partition, int replica, ServerVersion version, IReadOnlyList<AttemptOutcome> previous, bool incoming = false)
    {
        var number = Interlocked.Increment(ref _attemptCounters[partition]) - 1;
        var cancellation = CancellationTokenSource.CreateLinkedTokenSource(_abort.Token);
        var attempt = new PartitionAttempt<TRow, TResult>(_settings.LaunchFor(partition, number, Coordinator.Address, replica), version.Server, _settings.Dataset, _settings.LoggerFactory, _settings.Options.TimeProvider, previous)
        {
            SiblingNodes = () => SiblingNodes(partition, replica),
            Replicas = Replicas,
        };
        var run = new LineRun(attempt, cancellation, version, _settings.Options.TimeProvider.GetUtcNow());
        lock (_gate)
        {
            if (incoming)
            {
                _lines[partition][replica]!.Incoming = run;
            }
            else
            {
                _lines[partition][replica] = run;
            }
        }

        // Only this attempt may register for the replica from now on: a stale one is refused, and so is any attempt nobody launched.
        Coordinator.AdmitAttempt(partition, replica, number, version.Number);
        SignalNextAttempt(partition);
        CountLaunch(number);
        Log.AttemptStarting(_logger, partition, number, _settings.Options.Runner.Name);
        run.Task = Task.Run(() => _settings.Options.Runner.RunAttemptAsync(attempt, cancellation.Token));
        return run;
    }

    private async Task<IReadOnlyList<TResult>> RunLineAsync(int partition, int replica)
    {
        var attempts = new List<AttemptOutcome>();
        var firstDelay = _settings.Options.RelaunchDelay;
        var relaunchBackoff = new RetryBackoff(firstDelay < s_maxRelaunchDelay ? firstDelay : s_maxRelaunchDelay, s_maxRelaunchDelay);
        var failures = 0;
        await WaitForSiblingPlacementAsync(partition, replica).ConfigureAwait(false);
        var run = Launch(partition, replica, _version, []);
        while (true)
        {
            var current = run;
            var version = current.Version;
            try
            {
                var results = await current.Task.ConfigureAwait(false);
                Record(attempts, Outcome(current, replica, AttemptStatus.Succeeded, null, null));
                if (Line(partition, replica) is { } next && next != current)
                {
                    // A rolling update replaced this attempt and drained it: the line goes on with its successor.
                    run = next;
                    continue;
                }

                return results;
            }
            catch (Exception ex) when (current.Cancellation.IsCancellationRequested && current.GivenUp is { } givenUp && !_stopping)
            {
                // A rolling update's new attempt, adopted when the old one died, then given up (it did not serve in
                // time, or the update was cancelled): a failed attempt, re-launched below with the version before the update.
                Record(attempts, Outcome(current, replica, AttemptStatus.Failed, $"rolling update to version {version.Number}: {givenUp}", ex));
            }
            catch (Exception ex) when (current.Cancellation.IsCancellationRequested)
            {
                Record(attempts, Outcome(current, replica, AttemptStatus.Abandoned, "abandoned by the cluster", ex));
                if (Line(partition, replica) is { } next && next != current && !_abort.IsCancellationRequested)
                {
                    run = next;
                    continue;
                }

                throw new PartitionFailedException(partition, attempts, "its attempt was abandoned before it produced results");
            }
            catch (Exception ex)
            {
                var error = PartitionAttemptException.Describe(ex);
                Record(attempts, Outcome(current, replica, AttemptStatus.Failed, error, ex));
                Log.AttemptFailed(_logger, partition, current.Attempt.Launch.Attempt, error);
                Coordinator.ReportError(partition, current.Attempt.Launch.Attempt, error);
                if (Line(partition, replica) is { } next && next != current)
                {
                    // It died after a rolling update replaced it: its successor serves, nothing to re-launch.
                    run = next;
                    continue;
                }

                if (AdoptIncoming(partition, replica, current) is { } successor)
                {
                    // It died while a rolling update started its successor: the successor is the replica's attempt now
                    // (the rollout sees it serve and goes on). Re-launching the old version instead would fence it out.
                    Log.SuccessorAdopted(_logger, partition, current.Attempt.Launch.Attempt, successor.Attempt.Launch.Attempt);
                    run = successor;
                    continue;
                }
            }
            finally
            {
                current.Attempt.End();
                ForgetDraining(current);
            }

            if (current.Adopted)
            {
                // The new version never served here: the replica goes back to the version before the update.
                version = _version;
            }

            if (_stopping)
            {
                throw new PartitionFailedException(partition, attempts, "its attempt failed while the cluster was stopping, so it was not re-launched");
            }

            if (++failures >= _settings.Options.MaxAttempts)
            {
                break;
            }

            if (!await DelayRelaunchAsync(relaunchBackoff.Next()).ConfigureAwait(false))
            {
                // The cluster stopped or gave up while this replica waited to be re-launched: not a partition failure.
                throw new PartitionFailedException(partition, attempts, "the cluster stopped while it waited to be re-launched");
            }

            run = Launch(partition, replica, version, [.. attempts]);
        }

        var failure = new PartitionFailedException(partition, attempts, Replicas > 1 ? $"replica {replica} failed all {attempts.Count} attempts" : null);
        Coordinator.MarkReplicaFailed(partition, replica, $"gave up after {attempts.Count} attempts; last error: {attempts[^1].Error}");
        SignalNextAttempt(partition);
        Log.PartitionFailed(_logger, partition, attempts.Count);
        _firstFailure.TrySetResult(failure);
        PartitionFailed?.Invoke(failure);
        throw failure;
    }

    private LineRun? AdoptIncoming(int partition, int replica, LineRun current)
    {
        lock (_gate)
        {
            if (_stopping || current.Incoming is not { } incoming || _lines[partition][replica] != current)
            {
                return null;
            }

            _lines[partition][replica] = incoming;
            current.Incoming = null;
            incoming.Adopted = true;
            return incoming;
        }
    }

    private async Task<bool> DelayRelaunchAsync(TimeSpan delay)
    {
        if (_stopping)
        {
            return false;
        }

        try
        {
            await Task.Delay(delay, _settings.Options.TimeProvider, _abort.Token).ConfigureAwait(false);
            return !_stopping;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>How an attempt ended, with the node it ran on: the runner's word, else the node it registered from.</summary>
    private AttemptOutcome Outcome(LineRun run, int replica, AttemptStatus status, string? error, Exception? exception)
    {
        var (partition, number) = (run.Attempt.Launch.Partition, run.Attempt.Launch.Attempt);
        var registered = Coordinator.Directory.Current[partition].Replicas[replica];
        var node = run.Attempt.Node ?? (registered.Attempt == number ? registered.Node : null);
        return new AttemptOutcome(partition, number, status, error, exception, run.Started, _settings.Options.TimeProvider.GetUtcNow()) { Node = node, Replica = replica };
    }

    private void CountLaunch(int attempt)
    {
        var cluster = ClusterMetrics.Cluster(_settings.ClusterId);
        var runner = new KeyValuePair<string, object?>(ClusterTelemetry.RunnerAttribute, _settings.Options.Runner.Name);
        ClusterMetrics.AttemptsStarted.Add(1, cluster, runner);
        if (attempt >= Replicas)
        {
            ClusterMetrics.Relaunches.Add(1, cluster, runner);
        }
    }

    private void Record(List<AttemptOutcome> attempts, AttemptOutcome outcome)
    {
        ClusterMetrics.AttemptsEnded.Add(1, ClusterMetrics.Cluster(_settings.ClusterId), new(ClusterTelemetry.AttemptStatusAttribute, outcome.Status.ToString().ToLowerInvariant()));
        attempts.Add(outcome);
        lock (_gate)
        {
            _outcomes.Add(outcome);
        }

        AttemptCompleted?.Invoke(outcome);
    }

    /// <summary>A server definition and its version number (0 for the one the cluster started with).</summary>
    private sealed record ServerVersion(PartitionServerDefinition<TRow, TResult> Server, int Number);

    /// <summary>One running attempt of a replica line, and (during a rolling update) the attempt coming in to replace it.</summary>
    private sealed class LineRun(PartitionAttempt<TRow, TResult> attempt, CancellationTokenSource cancellation, ServerVersion version, DateTimeOffset started)
    {
        public PartitionAttempt<TRow, TResult> Attempt { get; } = attempt;

        public CancellationTokenSource Cancellation { get; } = cancellation;

        public ServerVersion Version { get; } = version;

        public DateTimeOffset Started { get; } = started;

        public Task<IReadOnlyList<TResult>> Task { get; set; } = null!;

        public LineRun? Incoming { get; set; }

        /// <summary>
        /// True while this is a rolling update's new attempt that its line adopted (the old one died) and the rollout has
        /// not yet seen serve: if it ends, the replica is re-launched with the version before the update.
        /// </summary>
        public bool Adopted { get; set; }

        /// <summary>Why a rolling update gave up on this attempt after its line had adopted it, or null.</summary>
        public string? GivenUp { get; set; }
    }
}
