using Microsoft.Extensions.Logging;
using Partitioned.Datasets;
using Partitioned.Server;

namespace Partitioned.Clustering;

/// <summary>What a runner needs to run one attempt of one partition.</summary>
/// <typeparam name="TRow">The partition's row type.</typeparam>
/// <typeparam name="TResult">The result row type.</typeparam>
public sealed class PartitionAttempt<TRow, TResult> : IPlacementSink
{
    private const int StateOpen = 0;
    private const int StateResultsTaken = 1;
    private const int StateOver = 2;

    private readonly PartitionedDataset<TRow> _dataset;
    private readonly TaskCompletionSource<IReadOnlyList<TResult>> _postedResults = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<string> _lost = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private string? _node;
    private int _claimed;
    private volatile bool _ended;

    // Open until results are taken or the attempt is over (lost, or its runner finished without them); whichever comes
    // first decides, so results are never acknowledged for an attempt the cluster already gave up on, and results
    // taken are never undone by a later loss.
    private int _state;

    internal PartitionAttempt(PartitionLaunch launch, PartitionServerDefinition<TRow, TResult> server, PartitionedDataset<TRow> dataset, ILoggerFactory loggerFactory, TimeProvider timeProvider, IReadOnlyList<AttemptOutcome>? previousAttempts = null)
    {
        Launch = launch;
        PreviousAttempts = previousAttempts ?? [];
        LaunchedTimestamp = timeProvider.GetTimestamp();
        Server = server;
        _dataset = dataset;
        LoggerFactory = loggerFactory;
        TimeProvider = timeProvider;
    }

    /// <summary>Which partition and attempt, the coordinator, the token and the server options.</summary>
    public PartitionLaunch Launch { get; }

    /// <summary>The server to run (its name, and its settings if it takes any).</summary>
    public PartitionServerDefinition<TRow, TResult> Server { get; }

    /// <summary>Where the attempt logs.</summary>
    public ILoggerFactory LoggerFactory { get; }

    /// <summary>The cluster's clock.</summary>
    public TimeProvider TimeProvider { get; }

    /// <summary>How this partition's earlier attempts in this run ended, oldest first (each with the node it ran on, when known).</summary>
    public IReadOnlyList<AttemptOutcome> PreviousAttempts { get; }

    /// <summary>
    /// The node (machine) this attempt runs on, once known: set by the runner when it places the attempt, or taken from
    /// the worker's registration. It appears in the attempt's outcome and lets a runner avoid, for a partition's next
    /// attempt, a node where an earlier one died.
    /// </summary>
    public string? Node
    {
        get => Volatile.Read(ref _node);
        set => Volatile.Write(ref _node, value);
    }

    /// <summary>
    /// The nodes the partition's other replicas run on now (empty with one replica per partition, or while no sibling
    /// is placed). A runner that chooses nodes avoids them while other nodes exist, so replicas do not share a machine.
    /// </summary>
    public IReadOnlyList<string> CurrentSiblingNodes => SiblingNodes?.Invoke() ?? [];

    internal Func<IReadOnlyList<string>>? SiblingNodes { get; init; }

    /// <summary>How many replicas every partition of the cluster runs (replicas never share an executor).</summary>
    internal int Replicas { get; init; } = 1;

    /// <summary>Where the partition's rows come from (for logs and errors).</summary>
    public string RowSource => _dataset.DescribePartition(Launch.Partition);

    /// <summary>Streams the partition's rows (read again for every attempt).</summary>
    public IAsyncEnumerable<TRow> ReadRowsAsync(CancellationToken cancellationToken = default) => _dataset.ReadPartitionAsync(Launch.Partition, cancellationToken);

    /// <summary>
    /// Completes when a worker running elsewhere posted this attempt's results to the coordinator
    /// (<c>POST /v1/attempts/{partition}/{attempt}/results</c>). Runners that run the server in this process never need it.
    /// </summary>
    public Task<IReadOnlyList<TResult>> PostedResults => _postedResults.Task;

    /// <summary>
    /// Completes, with the reason, when this attempt must end without results: the coordinator marked it lost (it was
    /// serving and then failed <see cref="ClusterOptions.UnhealthyThreshold"/> health checks in a row), or its engine
    /// started a replacement worker for the partition. A runner whose partitions live outside this process should
    /// then end the attempt with an exception (the process runner kills the worker), so the cluster re-launches it.
    /// </summary>
    public Task<string> Lost => _lost.Task;

    /// <summary>Why streaming this attempt's rows to a worker failed on the driver, or null; runners add it to their error.</summary>
    internal string? RowsFailure { get; set; }

    /// <summary>Takes the results a worker posted; false when results were taken already or the attempt is over.</summary>
    internal bool TryPostResults(IReadOnlyList<TResult> results) =>
        Interlocked.CompareExchange(ref _state, StateResultsTaken, StateOpen) == StateOpen && _postedResults.TrySetResult(results);

    /// <summary>Ends the attempt as lost; false when its results were taken already (they stand) or it is over.</summary>
    internal bool TryMarkLost(string reason) =>
        Interlocked.CompareExchange(ref _state, StateOver, StateOpen) == StateOpen && _lost.TrySetResult(reason);

    /// <summary>When the cluster launched the attempt (<see cref="TimeProvider.GetTimestamp"/>), for its registration time.</summary>
    internal long LaunchedTimestamp { get; }

    /// <summary>True once the runner finished with this attempt.</summary>
    internal bool IsEnded => _ended;

    /// <summary>True once the attempt is over for its worker: its runner finished with it, or it was marked lost.</summary>
    internal bool IsOver => _ended || _lost.Task.IsCompleted;

    internal void End()
    {
        // A worker that posts results after its attempt ended without them is refused.
        Interlocked.CompareExchange(ref _state, StateOver, StateOpen);
        _ended = true;
    }

    /// <summary>Takes this attempt for an engine-launched worker; false when a worker already took it.</summary>
    internal bool TryClaim() => Interlocked.Exchange(ref _claimed, 1) == 0;

    void IPlacementSink.PlacedOn(string node) => Node = node;
}
