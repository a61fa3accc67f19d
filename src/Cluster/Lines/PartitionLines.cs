using Microsoft.Extensions.Logging;
using Partitioned.Coordination;
using Partitioned.Directories;

namespace Partitioned.Clustering;

/// <summary>
/// The attempt lines of one cluster run: one <see cref="ReplicaLine{TRow, TResult}"/> per (partition, replica), each
/// running attempts through the runner and re-launching a failed one, and what they share: attempt numbers, every
/// attempt's outcome, the stop, the directory's word on attempts (<see cref="Follow"/>), one result set per partition,
/// the rolling update (<see cref="Rollout"/>) and attempt numbers for engine-launched workers (<see cref="Assignment"/>).
/// Shared by every runner, so retry semantics are the same everywhere.
/// </summary>
/// <remarks>
/// Attempt numbers are unique per partition across its replicas (one counter per partition), so the coordinator's
/// (partition, attempt) keys, the attempt routes and fencing work unchanged; the replica travels with the launch.
/// </remarks>
internal sealed class PartitionLines<TRow, TResult> : IDisposable
{
    private readonly ReplicaLine<TRow, TResult>[][] _lines;
    private readonly int[] _attemptCounters;
    private readonly Task<IReadOnlyList<TResult>>[] _partitions;

    // Per partition, under Gate: every run of its lines so far (a line runs again when autoscaling reuses its slot), and
    // whether its result set is settled (every run ended; then no line of it starts again).
    private readonly List<Task<IReadOnlyList<TResult>>>[] _runs;
    private readonly bool[] _settled;
    private readonly List<AttemptOutcome> _outcomes = [];
    private readonly CancellationTokenSource _abort = new();
    private readonly TaskCompletionSource<PartitionFailedException> _firstFailure = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<PartitionFailedException> _firstPartitionFailure = new(TaskCreationOptions.RunContinuationsAsynchronously);

    // Under Gate: attempts a rollout replaced that are still draining. Their line follows the new attempt, but until
    // the old one's task ends (or the rollout abandons it) the worker routes must find it: a worker that drains and
    // posts its results is not over.
    private readonly List<LineAttempt<TRow, TResult>> _draining = [];
    private IAttemptRegistry? _coordinator;
    private volatile bool _stopping;
    private volatile ServerVersion<TRow, TResult> _version;

    public PartitionLines(ClusterRunSettings<TRow, TResult> settings, ILogger logger)
    {
        Settings = settings;
        Logger = logger;
        var count = settings.Dataset.PartitionCount;
        _lines = [.. Enumerable.Range(0, count).Select(partition => Enumerable.Range(0, settings.Options.ReplicaSlots).Select(replica => new ReplicaLine<TRow, TResult>(this, partition, replica)).ToArray())];
        _attemptCounters = new int[count];
        _partitions = new Task<IReadOnlyList<TResult>>[count];
        _runs = [.. Enumerable.Range(0, count).Select(static _ => new List<Task<IReadOnlyList<TResult>>>())];
        _settled = new bool[count];
        _version = new ServerVersion<TRow, TResult>(settings.Server, 0);
        Assignment = new AttemptAssignment<TRow, TResult>(this);
        Rollout = new RollingUpdate<TRow, TResult>(this);
    }

    /// <summary>Raised when an attempt ends, on the partition's task.</summary>
    public event Action<AttemptOutcome>? AttemptCompleted;

    /// <summary>Raised when a replica's line fails for good.</summary>
    public event Action<PartitionFailedException>? PartitionFailed;

    /// <summary>Completes with the first replica line that failed for good (with one replica, the first partition).</summary>
    public Task<PartitionFailedException> FirstFailure => _firstFailure.Task;

    /// <summary>Completes with the first partition whose every replica failed for good.</summary>
    public Task<PartitionFailedException> FirstPartitionFailure => _firstPartitionFailure.Task;

    public IReadOnlyList<AttemptOutcome> Outcomes
    {
        get
        {
            lock (Gate)
            {
                return [.. _outcomes];
            }
        }
    }

    /// <summary>Each partition's result set, once its lines ended.</summary>
    public IReadOnlyList<Task<IReadOnlyList<TResult>>> Partitions => _partitions;

    /// <summary>The server version re-launches run (0 at start; a completed rolling update moves it on).</summary>
    public int Version => _version.Number;

    public RollingUpdate<TRow, TResult> Rollout { get; }

    public AttemptAssignment<TRow, TResult> Assignment { get; }

    public bool IsStopping => _stopping;

    internal ClusterRunSettings<TRow, TResult> Settings { get; }

    internal ILogger Logger { get; }

    /// <summary>Guards every line's current attempt, the outcomes, the draining set and the rollout's state.</summary>
    internal Lock Gate { get; } = new();

    internal IAttemptRegistry Coordinator => _coordinator ?? throw new InvalidOperationException("The attempt lines have not started.");

    /// <summary>Replica slots per partition: the fixed replica count, or with autoscaling the most replicas a partition may run.</summary>
    internal int Replicas => Settings.Options.ReplicaSlots;

    /// <summary>The server version new attempts run.</summary>
    internal ServerVersion<TRow, TResult> CurrentVersion
    {
        get => _version;
        set => _version = value;
    }

    /// <summary>Cancelled when every attempt is abandoned (<see cref="AbandonAll"/>): each attempt's cancellation is linked to it.</summary>
    internal CancellationToken Abandoned => _abort.Token;

    public ReplicaLine<TRow, TResult> Line(int partition, int replica) => _lines[partition][replica];

    /// <summary>Launches every line in use (with autoscaling, the first <see cref="ClusterOptions.Replicas"/> of each partition); attempts register with <paramref name="coordinator"/>.</summary>
    public void Start(IAttemptRegistry coordinator)
    {
        _coordinator = coordinator;
        for (var partition = 0; partition < _partitions.Length; partition++)
        {
            lock (Gate)
            {
                for (var replica = 0; replica < Settings.Options.Replicas; replica++)
                {
                    _runs[partition].Add(_lines[partition][replica].StartRun());
                }
            }

            _partitions[partition] = CombineAsync(partition);
        }
    }

    /// <summary>
    /// Runs the line of a slot that is not running (autoscaling's scale-up). The caller opened the slot in the directory.
    /// False while the cluster stops, once the partition's result set is settled, or when the slot's line still runs.
    /// </summary>
    public bool TryStartLine(int partition, int replica)
    {
        lock (Gate)
        {
            var line = _lines[partition][replica];
            if (_stopping || _settled[partition] || line.IsRunning)
            {
                return false;
            }

            _runs[partition].Add(line.StartRun());
            return true;
        }
    }

    /// <summary>From now on a failed attempt is not re-launched: the cluster is stopping.</summary>
    public void BeginStop()
    {
        _stopping = true;
        Assignment.WakeAll();
    }

    /// <summary>Abandons one replica's current attempt (it gets no results).</summary>
    public void Abandon(int partition, int replica) => Line(partition, replica).ReadCurrent()?.Cancellation.Cancel();

    /// <summary>Abandons every attempt and stops re-launching.</summary>
    public void AbandonAll()
    {
        _stopping = true;
        _abort.Cancel();
        Assignment.WakeAll();
    }

    /// <summary>
    /// The directory's word on attempts, applied to the lines: a lost attempt is ended so its line re-launches it
    /// (<see cref="RelaunchLost"/>), an engine-launched attempt that reported an error ends, and a registration is timed.
    /// </summary>
    public void Follow(PartitionChange change)
    {
        switch (change.Kind)
        {
            // While the cluster stops, shutdowns end every attempt anyway.
            case PartitionChangeKind.Lost when !_stopping:
                RelaunchLost(change.Partition, change.Attempt, change.Replica?.LastError ?? "marked lost by the coordinator");
                break;
            case PartitionChangeKind.ErrorReported:
                Assignment.EndReportedAttempt(change.Partition, change.Attempt, change.Replica?.LastError ?? "no details");
                break;
            case PartitionChangeKind.Registered or PartitionChangeKind.Replaced when GetAttempt(change.Partition, change.Attempt) is { } registered:
                ClusterMetrics.RegistrationDuration.Record(Settings.Options.TimeProvider.GetElapsedTime(registered.LaunchedTimestamp).TotalSeconds, ClusterMetrics.Cluster(Settings.ClusterId));
                break;
        }
    }

    /// <summary>
    /// The lost -> re-launch step: the coordinator declared the attempt lost (it stopped answering health checks), so it
    /// is ended (<see cref="PartitionAttempt{TRow, TResult}.Lost"/>: its runner stops it, killing a worker process), and its
    /// line records it failed and re-launches the replica after the backoff. An incoming or draining attempt of a rolling
    /// update is ended the same way.
    /// </summary>
    public void RelaunchLost(int partition, int attempt, string reason) => GetAttempt(partition, attempt)?.TryMarkLost(reason);

    /// <summary>
    /// The attempt of a partition with number <paramref name="attempt"/> that the lines still hold, or null: a replica's
    /// attempt, one a rolling update is rolling in, or one a rolling update replaced that is still draining.
    /// </summary>
    public PartitionAttempt<TRow, TResult>? GetAttempt(int partition, int attempt)
    {
        if ((uint)partition >= (uint)_lines.Length)
        {
            return null;
        }

        lock (Gate)
        {
            foreach (var line in _lines[partition])
            {
                if (line.Current?.Number == attempt)
                {
                    return line.Current.Attempt;
                }

                if (line.Current?.Incoming?.Number == attempt)
                {
                    return line.Current.Incoming.Attempt;
                }
            }

            return _draining.Find(run => run.Attempt.Launch.Partition == partition && run.Number == attempt)?.Attempt;
        }
    }

    /// <summary>
    /// Looks attempt <paramref name="attempt"/> of <paramref name="partition"/> up for its worker. <c>Attempt</c> is the
    /// attempt while the lines hold it (running, draining after a rolling update replaced it, or over but not yet
    /// replaced); <c>Over</c> says why it is over (it ended, was marked lost, or a newer attempt replaced it), null while
    /// it runs or drains. Both null: this run never launched it.
    /// </summary>
    public (PartitionAttempt<TRow, TResult>? Attempt, string? Over) LookUpAttempt(int partition, int attempt)
    {
        if (GetAttempt(partition, attempt) is { } held)
        {
            return (held, !held.IsOver ? null
                : held.Lost.IsCompletedSuccessfully ? $"it was marked lost: {held.Lost.Result}"
                : DescribeEnded(partition, attempt));
        }

        // Attempt numbers are handed out in order, so a lower one this run no longer holds existed and is over.
        var launched = (uint)partition < (uint)_attemptCounters.Length && attempt >= 0 && attempt < Volatile.Read(ref _attemptCounters[partition]);
        return (null, launched ? DescribeEnded(partition, attempt) : null);
    }

    public void Dispose()
    {
        _abort.Dispose();
        Rollout.Dispose();
    }

    /// <summary>The next attempt number of <paramref name="partition"/> (one counter across its replicas), counted as a launch.</summary>
    internal int NextAttemptNumber(int partition)
    {
        var number = Interlocked.Increment(ref _attemptCounters[partition]) - 1;
        var cluster = ClusterMetrics.Cluster(Settings.ClusterId);
        var runner = new KeyValuePair<string, object?>(ClusterTelemetry.RunnerAttribute, Settings.Options.Runner.Name);
        ClusterMetrics.AttemptsStarted.Add(1, cluster, runner);
        if (number >= Replicas)
        {
            ClusterMetrics.Relaunches.Add(1, cluster, runner);
        }

        return number;
    }

    /// <summary>Records how an attempt ended, in its line's list and the run's, and raises <see cref="AttemptCompleted"/>.</summary>
    internal void Record(List<AttemptOutcome> attempts, AttemptOutcome outcome)
    {
        ClusterMetrics.AttemptsEnded.Add(1, ClusterMetrics.Cluster(Settings.ClusterId), new(ClusterTelemetry.AttemptStatusAttribute, outcome.Status.ToString().ToLowerInvariant()));
        attempts.Add(outcome);
        lock (Gate)
        {
            _outcomes.Add(outcome);
        }

        AttemptCompleted?.Invoke(outcome);
    }

    /// <summary>A replica's line failed for good.</summary>
    internal void OnLineFailed(PartitionFailedException failure)
    {
        _firstFailure.TrySetResult(failure);
        PartitionFailed?.Invoke(failure);
    }

    /// <summary>A replaced attempt drains. The caller holds <see cref="Gate"/>.</summary>
    internal void AddDraining(LineAttempt<TRow, TResult> run) => _draining.Add(run);

    /// <summary>Its line ended the attempt, or it is being abandoned: from now on the worker routes answer that it is over.</summary>
    internal void ForgetDraining(LineAttempt<TRow, TResult> run)
    {
        lock (Gate)
        {
            _draining.Remove(run);
        }
    }

    /// <summary>The nodes the partition's other replicas run on now, so a runner with nodes can place this one apart.</summary>
    internal IReadOnlyList<string> SiblingNodes(int partition, int replica)
    {
        var nodes = new List<string>();
        lock (Gate)
        {
            for (var other = 0; other < Replicas; other++)
            {
                if (other != replica && _lines[partition][other].Current is { } line && !line.Attempt.IsEnded && line.Attempt.Node is { } node)
                {
                    nodes.Add(node);
                }
            }
        }

        return nodes;
    }

    // One result set per partition: the first replica's that produced results, or the user's merge of every replica's
    // (with autoscaling, every run of every line, retired replicas' included). Settled once every run ended: a line that
    // autoscaling started meanwhile is waited for too.
    private async Task<IReadOnlyList<TResult>> CombineAsync(int partition)
    {
        Task<IReadOnlyList<TResult>>[] lines;
        while (true)
        {
            lock (Gate)
            {
                lines = [.. _runs[partition]];
            }

            await ((Task)Task.WhenAll(lines)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            lock (Gate)
            {
                if (_runs[partition].Count == lines.Length)
                {
                    _settled[partition] = true;
                    break;
                }
            }
        }

        var produced = lines.Where(static l => l.IsCompletedSuccessfully).Select(static l => l.Result).ToList();
        if (produced.Count == 0)
        {
            if (lines[0].Exception?.InnerException is PartitionFailedException failure && !_stopping)
            {
                _firstPartitionFailure.TrySetResult(failure);
            }

            await lines[0].ConfigureAwait(false);
        }

        return Settings.MergeReplicaResults is { } merge && lines.Length > 1 ? merge(partition, produced) : produced[0];
    }

    private string DescribeEnded(int partition, int attempt)
    {
        AttemptOutcome? outcome;
        lock (Gate)
        {
            outcome = _outcomes.FindLast(o => o.Partition == partition && o.Attempt == attempt);
        }

        return outcome switch
        {
            null => "a newer attempt replaced it",
            { Status: AttemptStatus.Succeeded } => "it ended and handed back its results",
            { Status: AttemptStatus.Failed } => $"it failed: {outcome.Error}",
            _ => $"it was abandoned: {outcome.Error}",
        };
    }
}
