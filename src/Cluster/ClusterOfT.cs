using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Partitioned.Coordination;
using Partitioned.Datasets;
using Partitioned.Directories;
using Partitioned.Security;
using Partitioned.Server;

namespace Partitioned.Clustering;

/// <summary>
/// The driver-side handle of a cluster: one <see cref="PartitionServer{TRow, TResult}"/> per partition of a
/// dataset. <see cref="StartAsync"/> starts the coordinator, launches every partition through the runner and
/// waits until all registered; the cluster then exposes hosts and clients; <see cref="StopAsync"/> shuts every
/// partition down gracefully and returns their results. A stopped cluster can be started again.
/// </summary>
/// <typeparam name="TRow">The dataset's row type.</typeparam>
/// <typeparam name="TResult">The result row type.</typeparam>
public sealed partial class Cluster<TRow, TResult> : IAsyncDisposable
{
    private readonly SemaphoreSlim _lifecycle = new(1, 1);
    private readonly ClusterEvents _events;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger _logger;
    private volatile ClusterRun<TRow, TResult>? _run;
    private Task<PartitionedDataset<TResult>>? _lastStop;
    private IReadOnlyList<AttemptOutcome> _lastAttempts = [];
    private volatile ClusterState _state = ClusterState.Stopped;

    /// <summary>Creates a stopped cluster.</summary>
    /// <param name="dataset">The partitioned dataset; one server runs per partition.</param>
    /// <param name="server">The server each partition runs.</param>
    /// <param name="options">Settings; default <see cref="ClusterOptions"/> (in-process runner).</param>
    public Cluster(PartitionedDataset<TRow> dataset, PartitionServerDefinition<TRow, TResult> server, ClusterOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentNullException.ThrowIfNull(server);
        Dataset = dataset;
        Server = server;
        Options = options ?? new ClusterOptions();
        _loggerFactory = Options.LoggerFactory ?? NullLoggerFactory.Instance;
        _logger = _loggerFactory.CreateLogger("Partitioned.Clustering.Cluster");
        _events = new ClusterEvents(this, _logger);
    }

    /// <summary>
    /// With <see cref="ClusterOptions.Replicas"/> above 1, turns the result sets of a partition's replicas into the
    /// partition's one result set: called at stop with the partition index and the result set of every replica that
    /// produced results, in replica order. Default null: the first of them (replica 0's when it stopped cleanly).
    /// Results of replicas a rolling update replaced are not included.
    /// </summary>
    public Func<int, IReadOnlyList<IReadOnlyList<TResult>>, IReadOnlyList<TResult>>? MergeReplicaResults { get; init; }

    /// <summary>Raised when a partition attempt ends (succeeded, failed or abandoned).</summary>
    public event EventHandler<AttemptOutcome>? AttemptCompleted
    {
        add => _events.AttemptCompleted += value;
        remove => _events.AttemptCompleted -= value;
    }

    /// <summary>Raised on every change of the partition directory: registered, replaced by a newer attempt, lost, failed, stopped.</summary>
    public event EventHandler<PartitionChange>? PartitionChanged
    {
        add => _events.PartitionChanged += value;
        remove => _events.PartitionChanged -= value;
    }

    /// <summary>Raised when a partition failed all its attempts and will not come back in this run (with several replicas, when one replica did: the partition serves on while another replica serves).</summary>
    public event EventHandler<PartitionFailedException>? PartitionFailed
    {
        add => _events.PartitionFailed += value;
        remove => _events.PartitionFailed -= value;
    }

    /// <summary>The input dataset.</summary>
    public PartitionedDataset<TRow> Dataset { get; }

    /// <summary>The server every partition runs.</summary>
    public PartitionServerDefinition<TRow, TResult> Server { get; }

    /// <summary>The cluster's settings.</summary>
    public ClusterOptions Options { get; }

    /// <summary>Where the cluster is in its lifecycle.</summary>
    public ClusterState State => _state;

    /// <summary>The id of the current run (new for every start).</summary>
    /// <exception cref="InvalidOperationException">The cluster is not running.</exception>
    public string Id => Run.Id;

    /// <summary>The coordinator's address, which partitions register with.</summary>
    /// <exception cref="InvalidOperationException">The cluster is not running.</exception>
    public Uri CoordinatorAddress => Run.Coordinator.Address;

    /// <summary>The partition directory: a versioned snapshot of every partition plus a stream of changes.</summary>
    /// <exception cref="InvalidOperationException">The cluster is not running.</exception>
    public PartitionDirectory Directory => Run.Directory;

    /// <summary>The base address of every serving partition, by partition index.</summary>
    /// <exception cref="InvalidOperationException">The cluster is not running.</exception>
    public IReadOnlyDictionary<int, Uri> Hosts => Directory.Current.Hosts;

    /// <summary>The current run's directory snapshot, or null when the cluster is not running (never throws).</summary>
    internal DirectorySnapshot? CurrentDirectory => _run?.Directory.Current;

    /// <summary>The autoscaling steps of the current run (the last 100), for the dashboard; empty without autoscaling.</summary>
    internal IReadOnlyList<AutoscaleEvent> AutoscaleHistory => _run?.Autoscaler?.History ?? [];

    /// <summary>The current run's token (tests call control routes with it).</summary>
    internal ClusterToken Token => Run.Token;

    /// <summary>Every attempt's outcome in the current run so far (or in the last run, once stopped), in the order they ended.</summary>
    public IReadOnlyList<AttemptOutcome> Attempts => _run?.Lines.Outcomes ?? _lastAttempts;

    /// <summary>
    /// Starts the coordinator, launches every partition through the runner, and waits until all registered.
    /// </summary>
    /// <exception cref="InvalidOperationException">The cluster is already running.</exception>
    /// <exception cref="Microsoft.Extensions.Options.OptionsValidationException">The options are invalid; the message lists every problem.</exception>
    /// <exception cref="PartitionsNotServingException">Not every partition registered within <see cref="ClusterOptions.StartTimeout"/>.</exception>
    /// <exception cref="PartitionFailedException">A partition failed all its attempts.</exception>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        Options.Validate(Transport);
        await _lifecycle.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_run is not null)
            {
                throw new InvalidOperationException("The cluster is already running; stop it before starting it again.");
            }

            _state = ClusterState.Starting;
            var settings = new ClusterRunSettings<TRow, TResult>(NewClusterId(), ClusterToken.Create(), Dataset, Server, Options, _loggerFactory) { MergeReplicaResults = MergeReplicaResults, Transport = Transport };
            var run = new ClusterRun<TRow, TResult>(settings, _logger);
            try
            {
                await run.StartAsync(_events, cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                // A failed start leaves its attempts to look at.
                _lastAttempts = run.Lines.Outcomes;
                _state = ClusterState.Stopped;
                throw;
            }

            _run = run;
            _lastStop = null;
            _state = ClusterState.Running;
        }
        finally
        {
            _lifecycle.Release();
        }
    }

    /// <summary>Waits until every partition is serving again (for example after a partition was re-launched).</summary>
    /// <exception cref="PartitionsNotServingException">Not every partition was serving within <paramref name="timeout"/>.</exception>
    /// <exception cref="PartitionFailedException">A partition failed for good.</exception>
    public Task WaitForAllServingAsync(TimeSpan timeout, CancellationToken cancellationToken = default) =>
        Run.WaitForAllServingAsync("every partition to be serving", timeout, cancellationToken);

    /// <summary>
    /// Stops the cluster gracefully: every partition gets <c>POST /control/shutdown</c> in parallel, drains its
    /// in-flight requests and produces its results; then the coordinator stops. Idempotent: a second call
    /// returns the same results.
    /// </summary>
    /// <returns>The result rows, one partition per partition of the input, in partition order.</returns>
    /// <exception cref="InvalidOperationException">The cluster was never started.</exception>
    /// <exception cref="ClusterStopException">One or more partitions produced no results; the message says why for each.</exception>
    public async Task<PartitionedDataset<TResult>> StopAsync(CancellationToken cancellationToken = default) =>
        await StopCoreAsync(fromDispose: false, cancellationToken).ConfigureAwait(false)
            ?? throw new InvalidOperationException("The cluster was never started, so there is nothing to stop.");

    /// <summary>Stops the cluster if it is running (see <see cref="StopAsync"/>); errors are logged, not thrown.</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            await StopCoreAsync(fromDispose: true, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            Log.DisposeStopFailed(_logger, ex);
        }
    }

    /// <summary>
    /// Under the lifecycle lock, so a dispose racing a start waits for it and then stops what it started. Not running:
    /// a stop returns the last stop's results again (null if there was none); a dispose does nothing.
    /// </summary>
    private async Task<PartitionedDataset<TResult>?> StopCoreAsync(bool fromDispose, CancellationToken cancellationToken)
    {
        await _lifecycle.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var run = _run;
            if (run is null)
            {
                return fromDispose || _lastStop is null ? null : await _lastStop.ConfigureAwait(false);
            }

            _state = ClusterState.Stopping;
            try
            {
                _lastStop = run.StopAsync(cancellationToken);
                return await _lastStop.ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                // The caller gave up waiting: tear down without draining rather than leave servers behind.
                _lastStop = null;
                await run.AbandonAsync().ConfigureAwait(false);
                throw;
            }
            finally
            {
                _lastAttempts = run.Lines.Outcomes;
                _run = null;
                _state = ClusterState.Stopped;
            }
        }
        finally
        {
            _lifecycle.Release();
        }
    }

    private ClusterRun<TRow, TResult> Run => _run ?? throw new InvalidOperationException(
        $"The cluster is {_state.ToString().ToLowerInvariant()}; this needs a running cluster (await StartAsync first).");

    private static string NewClusterId() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6));
}
