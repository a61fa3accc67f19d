using Microsoft.Extensions.Logging;
using Partitioned.Coordination;
using Partitioned.Directories;

namespace Partitioned.Clustering;

/// <summary>
/// Autoscaling of one cluster run: samples each partition's requests in flight (what its replicas reported with their
/// last health check), lets <see cref="AutoscalePolicy"/> decide at the end of each window, and carries a step out.
/// Up: a retired slot is opened and its line runs; the replica joins routing when it registers, which it does only once it
/// initialised and listens. Down: the replica leaves routing first (<see cref="PartitionChangeKind.Retiring"/>), then,
/// once every router has that directory version (or <see cref="AutoscaleOptions.AcknowledgeTimeout"/> passed) and after
/// <see cref="AutoscaleOptions.RetireGrace"/>, it is asked to drain and stop, like a replica a rolling update replaced.
/// No step while a rolling update runs or the cluster stops; one step at a time per partition.
/// </summary>
internal sealed partial class Autoscaler<TRow, TResult>
{
    private readonly PartitionLines<TRow, TResult> _lines;
    private readonly Coordinator _coordinator;
    private readonly Func<Uri, CancellationToken, Task<string?>> _shutdown;
    private readonly ILogger _logger;
    private readonly AutoscaleOptions _options;
    private readonly AutoscalePolicy _policy;
    private readonly TimeProvider _time;
    private readonly CancellationTokenSource _stop = new();
    private readonly bool[] _busy;
    private readonly List<Task> _steps = [];
    private readonly List<AutoscaleEvent> _history = [];
    private Task _loop = Task.CompletedTask;
    private int _stopped;

    public Autoscaler(PartitionLines<TRow, TResult> lines, Coordinator coordinator, Func<Uri, CancellationToken, Task<string?>> shutdown, ILogger logger)
    {
        _lines = lines;
        _coordinator = coordinator;
        _shutdown = shutdown;
        _logger = logger;
        _options = lines.Settings.Options.Autoscale!;
        _time = lines.Settings.Options.TimeProvider;
        _policy = new AutoscalePolicy(_options, coordinator.Directory.Current.PartitionCount, _time);
        _busy = new bool[coordinator.Directory.Current.PartitionCount];
    }

    /// <summary>The steps taken so far, oldest first (the last 100), for the dashboard.</summary>
    public IReadOnlyList<AutoscaleEvent> History
    {
        get
        {
            lock (_history)
            {
                return [.. _history];
            }
        }
    }

    private PartitionDirectory Directory => _coordinator.Directory;

    private string ClusterId => _lines.Settings.ClusterId;

    public void Start()
    {
        // Several samples per window, but no more often than the health checks refresh them.
        var interval = _options.Window / 4 < _lines.Settings.Options.HealthCheckInterval ? _lines.Settings.Options.HealthCheckInterval : _options.Window / 4;
        _loop = LoopAsync(interval, _stop.Token);
    }

    /// <summary>
    /// Takes no step from now on and waits (bounded) for the steps under way: a scale-down under way still drains its
    /// replica (its waits for routers are cut short), so the stop that follows finds every other replica in the directory.
    /// </summary>
    public async Task StopAsync()
    {
        if (Interlocked.Exchange(ref _stopped, 1) != 0)
        {
            return;
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        Task[] steps;
        lock (_steps)
        {
            steps = [.. _steps];
        }

        // Real time: the steps wait for servers to drain, which a test clock does not drive.
        // Not disposed: a step that outlived this wait may still read the token.
        await Task.WhenAll(steps).WaitAsync(_lines.Settings.Options.StopTimeout + TimeSpan.FromSeconds(5)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    private async Task LoopAsync(TimeSpan interval, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(interval, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                try
                {
                    Sample(cancellationToken);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // A bug here must not end autoscaling silently for the rest of the run, nor take the cluster down.
                    Log.SampleFailed(_logger, ex);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    private void Sample(CancellationToken cancellationToken)
    {
        if (_lines.IsStopping || _lines.Rollout.IsUpdating)
        {
            return;
        }

        var snapshot = Directory.Current;
        _coordinator.Loads.Retain((partition, attempt) => partition < snapshot.PartitionCount && snapshot[partition].Replicas.Any(r => r.Attempt == attempt && r.State == PartitionState.Serving));
        for (var partition = 0; partition < snapshot.PartitionCount; partition++)
        {
            var replicas = snapshot[partition].Replicas;
            var serving = replicas.Count(static r => r.State == PartitionState.Serving);
            var inUse = replicas.Count(static r => r.State != PartitionState.Retired);
            AutoscaleStep step;
            double mean;
            lock (_policy)
            {
                if (_busy[partition])
                {
                    continue;
                }

                _policy.Observe(partition, replicas.Where(static r => r.State == PartitionState.Serving).Sum(r => _coordinator.Loads.Read(partition, r.Attempt) ?? 0));
                step = _policy.Decide(partition, serving, inUse);
                mean = _policy.LastMean;
                if (step != AutoscaleStep.None)
                {
                    _busy[partition] = true;
                    _policy.Stepped(partition);
                }
            }

            if (step != AutoscaleStep.None)
            {
                Track(step == AutoscaleStep.Up ? ScaleUpAsync(partition, mean, serving) : ScaleDownAsync(partition, mean, serving, cancellationToken), partition);
            }
        }
    }

    private void Track(Task step, int partition)
    {
        lock (_steps)
        {
            _steps.RemoveAll(static s => s.IsCompleted);
            _steps.Add(step);
        }

        _ = step.ContinueWith(
            _ =>
            {
                lock (_policy)
                {
                    // The cooldown and the windows in a row count from the step's end too: load measured while the new
                    // replica started, or while the retired one drained, decides nothing.
                    _policy.Stepped(partition);
                    _busy[partition] = false;
                }
            },
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
    }

    private void Remember(AutoscaleEvent step)
    {
        lock (_history)
        {
            if (_history.Count == 100)
            {
                _history.RemoveAt(0);
            }

            _history.Add(step);
        }
    }
}
