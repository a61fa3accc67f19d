using Microsoft.Extensions.Logging;
using Partitioned.Coordination;
using Partitioned.Datasets;
using Partitioned.Directories;
using Partitioned.Security;

namespace Partitioned.Clustering;

/// <summary>
/// One start-to-stop run of a cluster: its coordinator, its attempt lines and its clients. A cluster that is
/// started again gets a new run (new cluster id, token, coordinator and attempt numbers).
/// </summary>
internal sealed partial class ClusterRun<TRow, TResult>
{
    private static readonly TimeSpan s_abandonWait = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan s_clientDrain = TimeSpan.FromSeconds(5);

    private readonly ClusterRunSettings<TRow, TResult> _settings;
    private readonly PartitionLines<TRow, TResult> _lines;
    private readonly ILogger _logger;
    private Coordinator? _coordinator;
    private DriverClients? _clients;
    private Autoscaler<TRow, TResult>? _autoscaler;

    public ClusterRun(ClusterRunSettings<TRow, TResult> settings, ILogger logger)
    {
        _settings = settings;
        _logger = logger;
        _lines = new PartitionLines<TRow, TResult>(settings, logger);
    }

    public string Id => _settings.ClusterId;

    public ClusterToken Token => _settings.Token;

    public Coordinator Coordinator => _coordinator!;

    public PartitionDirectory Directory => Coordinator.Directory;

    public DriverClients Clients => _clients!;

    public PartitionLines<TRow, TResult> Lines => _lines;

    /// <summary>The run's autoscaler, or null without <see cref="ClusterOptions.Autoscale"/>.</summary>
    internal Autoscaler<TRow, TResult>? Autoscaler => _autoscaler;

    /// <summary>Starts the coordinator and the attempt lines, and waits until every partition registered; on failure, tears everything down.</summary>
    public async Task StartAsync(ClusterEvents events, CancellationToken cancellationToken)
    {
        try
        {
            await StartCoreAsync(events, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await AbandonAsync().ConfigureAwait(false);
            throw;
        }
    }

    private async Task StartCoreAsync(ClusterEvents events, CancellationToken cancellationToken)
    {
        var options = _settings.Options;
        _coordinator = await Coordinator.StartAsync(
            new CoordinatorOptions
            {
                PartitionCount = _settings.Dataset.PartitionCount,
                ClusterId = _settings.ClusterId,
                Replicas = options.ReplicaSlots,
                ActiveReplicas = options.Replicas,
                Token = _settings.Token,
                BindAddress = options.CoordinatorBindAddress,
                AdvertisedHost = options.CoordinatorAdvertisedHost,
                Port = options.CoordinatorPort,
                GrpcPort = options.CoordinatorGrpcPort,
                ClientKeys = options.ClientKeys,
                MaxWatchStreams = options.CoordinatorMaxWatchStreams,
                MaxWatchStreamsPerCredential = options.CoordinatorMaxWatchStreamsPerCredential,
                MaxWatchBacklog = options.CoordinatorMaxWatchBacklog,
                HealthCheckInterval = options.HealthCheckInterval,
                HealthCheckTimeout = options.HealthCheckTimeout,
                UnhealthyThreshold = options.UnhealthyThreshold,
                LoggerFactory = _settings.LoggerFactory,
                TimeProvider = options.TimeProvider,
                Modules = [.. options.CoordinatorModules, new WorkerRoutes<TRow, TResult>(_lines, _logger)],
                Transport = _settings.Transport,
            },
            cancellationToken).ConfigureAwait(false);
        _clients = new DriverClients(_coordinator.Directory, _settings.Token, options, _settings.Transport);

        _coordinator.Directory.Changed += (_, change) =>
        {
            _lines.Follow(change);
            events.RaisePartitionChanged(change);
        };
        _lines.AttemptCompleted += events.RaiseAttemptCompleted;
        _lines.PartitionFailed += events.RaisePartitionFailed;
        ClusterMetrics.Watch(Id, _coordinator.Directory);

        Log.Starting(_logger, Id, _settings.Dataset.PartitionCount, options.Runner.Name, _coordinator.Address);
        _lines.Start(new CoordinatorRegistry(_coordinator));

        await WaitForAllServingAsync(options.Replicas == 1 ? "every partition to register with the coordinator" : "every replica of every partition to register with the coordinator", options.StartTimeout, cancellationToken, everyReplica: true).ConfigureAwait(false);

        Log.Started(_logger, Id, Directory.Current.PartitionCount);
        if (options.Autoscale is not null)
        {
            _autoscaler = new Autoscaler<TRow, TResult>(_lines, _coordinator, _clients.RequestShutdownAsync, _logger);
            _autoscaler.Start();
        }
    }

    /// <summary>
    /// Waits until every partition is serving; a partition that fails for good ends the wait with its failure.
    /// <c>waitingFor</c> says what was awaited, in the timeout's message.
    /// </summary>
    public async Task WaitForAllServingAsync(string waitingFor, TimeSpan timeout, CancellationToken cancellationToken, bool everyReplica = false)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        var allServing = Directory.WaitUntilAsync(everyReplica ? static s => s.IsFullStrength : static s => s.IsComplete, deadline.Token);
        // At start every replica must come up; later, a partition is serving while one replica is.
        var failed = everyReplica || _settings.Options.Replicas == 1 ? _lines.FirstFailure : _lines.FirstPartitionFailure;
        if (await Task.WhenAny(allServing, failed).ConfigureAwait(false) == failed)
        {
            throw await failed.ConfigureAwait(false);
        }

        try
        {
            await allServing.ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw PartitionsNotServingException.FromSnapshot(waitingFor, timeout, Directory.Current);
        }
    }

    /// <summary>
    /// Stops gracefully: no more re-launches, health checks off, shutdown to every serving partition in
    /// parallel, wait for their results (up to the stop timeout), then the coordinator.
    /// </summary>
    public async Task<PartitionedDataset<TResult>> StopAsync(CancellationToken cancellationToken)
    {
        _lines.BeginStop();
        Coordinator.SuspendHealthChecks();

        // Autoscaling takes no more steps; a replica it is retiring drains first (it left the directory read below).
        if (_autoscaler is not null)
        {
            await _autoscaler.StopAsync().ConfigureAwait(false);
        }

        // A rolling update under way ends first: its new attempt is stopped, or took its replica's place and is in
        // the directory read next. Otherwise an attempt registering during the stop would outlive it.
        await _lines.Rollout.StopAsync(cancellationToken).ConfigureAwait(false);
        var snapshot = Directory.Current;
        Log.Stopping(_logger, Id, snapshot.ServingCount);

        var shutdowns = new List<Task>();
        foreach (var entry in snapshot.Partitions)
        {
            foreach (var replica in entry.Replicas)
            {
                if (replica.LiveEndpoint is { } endpoint)
                {
                    shutdowns.Add(RequestShutdownAsync(entry.Partition, endpoint, cancellationToken));
                }
                else
                {
                    // Nothing live to shut down (being re-launched, or lost): its attempt cannot hand back results.
                    _lines.Abandon(entry.Partition, replica.Replica);
                }
            }
        }

        await Task.WhenAll(shutdowns).ConfigureAwait(false);
        var all = Task.WhenAll(_lines.Partitions);
        try
        {
            await all.WaitAsync(_settings.Options.StopTimeout, _settings.Options.TimeProvider, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            Log.StopTimedOut(_logger, Id, _settings.Options.StopTimeout);
            _lines.AbandonAll();
        }
        catch (Exception) when (!cancellationToken.IsCancellationRequested)
        {
            // Per-partition failures are collected below.
        }

        await AwaitPartitionsQuietlyAsync().ConfigureAwait(false);
        await Clients.WaitForRequestsAsync(s_clientDrain).ConfigureAwait(false);
        await ReleaseAsync().ConfigureAwait(false);
        return CollectResults();
    }

    /// <summary>Tears everything down without draining (a failed start, or a dispose that must not wait).</summary>
    public async Task AbandonAsync()
    {
        _lines.AbandonAll();
        if (_autoscaler is not null)
        {
            await _autoscaler.StopAsync().ConfigureAwait(false);
        }

        await _lines.Rollout.StopAsync(CancellationToken.None).ConfigureAwait(false);
        await AwaitPartitionsQuietlyAsync().ConfigureAwait(false);
        await ReleaseAsync().ConfigureAwait(false);
    }

    private async Task RequestShutdownAsync(int partition, Uri endpoint, CancellationToken cancellationToken)
    {
        var problem = await Clients.RequestShutdownAsync(endpoint, cancellationToken).ConfigureAwait(false);
        if (problem is not null)
        {
            Log.ShutdownFailed(_logger, partition, problem);
        }
    }

    private async Task AwaitPartitionsQuietlyAsync()
    {
        var started = _lines.Partitions.Where(static t => t is not null).Cast<Task>();
        await Task.WhenAll(started).WaitAsync(s_abandonWait).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    private async Task ReleaseAsync()
    {
        if (_coordinator is not null)
        {
            for (var partition = 0; partition < Directory.Current.PartitionCount; partition++)
            {
                _coordinator.MarkStopped(partition);
            }
        }

        _clients?.Dispose();
        ClusterMetrics.Forget(Id);
        if (_coordinator is not null)
        {
            await _coordinator.StopAsync().ConfigureAwait(false);
        }

        _lines.Dispose();
        Log.Stopped(_logger, Id);
    }

    private PartitionedDataset<TResult> CollectResults()
    {
        var results = new IReadOnlyList<TResult>[_lines.Partitions.Count];
        var failures = new List<PartitionFailedException>();
        for (var partition = 0; partition < results.Length; partition++)
        {
            var task = _lines.Partitions[partition];
            if (task.IsCompletedSuccessfully)
            {
                results[partition] = task.Result;
            }
            else
            {
                failures.Add(task.Exception?.InnerException as PartitionFailedException
                    ?? new PartitionFailedException(partition, [.. _lines.Outcomes.Where(o => o.Partition == partition)], "it did not stop in time"));
            }
        }

        return failures.Count == 0 ? PartitionedDataset<TResult>.FromLists(results) : throw new ClusterStopException(failures);
    }
}
