using Microsoft.Extensions.Logging;
using Partitioned.Coordination;
using Partitioned.Server;
using Partitioned.Shared;

namespace Partitioned.Clustering;

/// <summary>
/// The partition tasks of one cluster run: one loop per partition that runs attempts through the runner,
/// re-launches a failed attempt with the next attempt number (with backoff) up to the maximum, and
/// records every attempt's outcome. Shared by every runner, so retry semantics are the same everywhere.
/// </summary>
internal sealed partial class PartitionJob<TRow, TResult> : IDisposable
{
    private static readonly TimeSpan s_maxRelaunchDelay = TimeSpan.FromSeconds(5);

    private readonly ClusterRunSettings<TRow, TResult> _settings;
    private Coordinator? _coordinator;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _abort = new();
    private readonly CancellationTokenSource?[] _attemptCancellations;
    private readonly PartitionAttempt<TRow, TResult>?[] _currentAttempts;
    private readonly Task<IReadOnlyList<TResult>>[] _partitions;
    private readonly List<AttemptOutcome> _outcomes = [];
    private readonly Lock _gate = new();
    private readonly TaskCompletionSource<PartitionFailedException> _firstFailure = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource[] _nextAttempt;
    private volatile bool _stopping;

    public PartitionJob(ClusterRunSettings<TRow, TResult> settings, ILogger logger)
    {
        _settings = settings;
        _logger = logger;
        var count = settings.Dataset.PartitionCount;
        _attemptCancellations = new CancellationTokenSource?[count];
        _currentAttempts = new PartitionAttempt<TRow, TResult>?[count];
        _partitions = new Task<IReadOnlyList<TResult>>[count];
        _nextAttempt = [.. Enumerable.Range(0, count).Select(static _ => NewSignal())];
    }

    /// <summary>Raised when an attempt ends, on the partition's task.</summary>
    public event Action<AttemptOutcome>? AttemptCompleted;

    /// <summary>Raised when a partition fails for good.</summary>
    public event Action<PartitionFailedException>? PartitionFailed;

    /// <summary>Completes with the first partition that failed for good.</summary>
    public Task<PartitionFailedException> FirstFailure => _firstFailure.Task;

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

    private Coordinator Coordinator => _coordinator ?? throw new InvalidOperationException("The job has not started.");

    public void Start(Coordinator coordinator)
    {
        _coordinator = coordinator;
        for (var partition = 0; partition < _partitions.Length; partition++)
        {
            var index = partition;
            _partitions[index] = Task.Run(() => RunPartitionAsync(index));
        }
    }

    public bool IsStopping => _stopping;

    /// <summary>From now on a failed attempt is not re-launched: the cluster is stopping.</summary>
    public void BeginStop()
    {
        _stopping = true;
        WakeAssignments();
    }

    /// <summary>Abandons one partition's current attempt (it gets no results).</summary>
    public void Abandon(int partition)
    {
        lock (_gate)
        {
            _attemptCancellations[partition]?.Cancel();
        }
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

    /// <summary>The attempt currently running for a partition, if it is <paramref name="attempt"/>.</summary>
    public PartitionAttempt<TRow, TResult>? GetAttempt(int partition, int attempt)
    {
        if ((uint)partition >= (uint)_currentAttempts.Length)
        {
            return null;
        }

        var current = Volatile.Read(ref _currentAttempts[partition]);
        return current?.Launch.Attempt == attempt ? current : null;
    }

    public void Dispose()
    {
        _abort.Dispose();
    }

    private async Task<IReadOnlyList<TResult>> RunPartitionAsync(int partition)
    {
        var attempts = new List<AttemptOutcome>();
        var firstDelay = _settings.Options.RelaunchDelay;
        var relaunchBackoff = new RetryBackoff(firstDelay < s_maxRelaunchDelay ? firstDelay : s_maxRelaunchDelay, s_maxRelaunchDelay);
        for (var attempt = 0; attempt < _settings.Options.MaxAttempts; attempt++)
        {
            if (attempt > 0 && !await DelayRelaunchAsync(relaunchBackoff.Next()).ConfigureAwait(false))
            {
                // The cluster stopped or gave up while this partition waited to be re-launched: not a partition failure.
                throw new PartitionFailedException(partition, attempts, "the cluster stopped while it waited to be re-launched");
            }

            using var cancellation = CancellationTokenSource.CreateLinkedTokenSource(_abort.Token);
            var current = new PartitionAttempt<TRow, TResult>(_settings.LaunchFor(partition, attempt, Coordinator.Address), _settings.Server, _settings.Dataset, _settings.LoggerFactory, _settings.Options.TimeProvider, [.. attempts]);
            lock (_gate)
            {
                _attemptCancellations[partition] = cancellation;
            }

            // Only this attempt may register from now on: a stale one is refused, and so is any attempt nobody launched.
            Coordinator.AdmitAttempt(partition, attempt);
            Volatile.Write(ref _currentAttempts[partition], current);
            SignalNextAttempt(partition);
            CountLaunch(attempt);
            var started = _settings.Options.TimeProvider.GetUtcNow();
            Log.AttemptStarting(_logger, partition, attempt, _settings.Options.Runner.Name);
            try
            {
                var results = await _settings.Options.Runner.RunAttemptAsync(current, cancellation.Token).ConfigureAwait(false);
                Record(attempts, Outcome(current, AttemptStatus.Succeeded, null, null, started));
                return results;
            }
            catch (Exception ex) when (cancellation.IsCancellationRequested)
            {
                Record(attempts, Outcome(current, AttemptStatus.Abandoned, "abandoned by the cluster", ex, started));
                throw new PartitionFailedException(partition, attempts, "its attempt was abandoned before it produced results");
            }
            catch (Exception ex)
            {
                var error = PartitionAttemptException.Describe(ex);
                Record(attempts, Outcome(current, AttemptStatus.Failed, error, ex, started));
                Log.AttemptFailed(_logger, partition, attempt, error);
                Coordinator.ReportError(partition, attempt, error);
            }
            finally
            {
                current.End();
                lock (_gate)
                {
                    _attemptCancellations[partition] = null;
                }
            }

            if (_stopping)
            {
                throw new PartitionFailedException(partition, attempts, "its attempt failed while the cluster was stopping, so it was not re-launched");
            }
        }

        var failure = new PartitionFailedException(partition, attempts);
        Coordinator.MarkFailed(partition, $"gave up after {attempts.Count} attempts; last error: {attempts[^1].Error}");
        SignalNextAttempt(partition);
        Log.PartitionFailed(_logger, partition, attempts.Count);
        _firstFailure.TrySetResult(failure);
        PartitionFailed?.Invoke(failure);
        throw failure;
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
    private AttemptOutcome Outcome(PartitionAttempt<TRow, TResult> attempt, AttemptStatus status, string? error, Exception? exception, DateTimeOffset started)
    {
        var (partition, number) = (attempt.Launch.Partition, attempt.Launch.Attempt);
        var entry = Coordinator.Directory.Current[partition];
        var node = attempt.Node ?? (entry.Attempt == number ? entry.Node : null);
        return new AttemptOutcome(partition, number, status, error, exception, started, _settings.Options.TimeProvider.GetUtcNow()) { Node = node };
    }

    private void CountLaunch(int attempt)
    {
        var cluster = ClusterMetrics.Cluster(_settings.ClusterId);
        var runner = new KeyValuePair<string, object?>(ClusterTelemetry.RunnerAttribute, _settings.Options.Runner.Name);
        ClusterMetrics.AttemptsStarted.Add(1, cluster, runner);
        if (attempt > 0)
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
}
