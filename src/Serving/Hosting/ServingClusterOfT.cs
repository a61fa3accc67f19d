using Microsoft.Extensions.Logging.Abstractions;
using Partitioned.Clustering;
using Partitioned.Datasets;
using Partitioned.Server;

namespace Partitioned.Serving;

/// <summary>
/// A cluster turned into a web service: the partitions serve their services, and one driver-side address takes
/// client requests (<see cref="Address"/>, <c>POST /serve/{name}</c>). In distributed mode that address is a
/// load-balancing gateway; in head-node mode, the head node's front, which partitions take work from.
/// </summary>
/// <typeparam name="TRow">The dataset's row type.</typeparam>
/// <typeparam name="TResult">The result row type.</typeparam>
public sealed class ServingCluster<TRow, TResult> : IAsyncDisposable
{
    private readonly ServingOptions _options;
    private readonly HeadNode? _headNode;
    private ServingGateway? _gateway;
    private int _stopped;

    internal ServingCluster(PartitionedDataset<TRow> dataset, PartitionServerDefinition<TRow, TResult> server, ServingOptions serving, ClusterOptions cluster)
    {
        serving.Validate();
        _options = serving;
        if (serving.Mode == ServingMode.HeadNode)
        {
            _headNode = new HeadNode(serving, cluster.LoggerFactory ?? NullLoggerFactory.Instance, cluster.TimeProvider);
            cluster = cluster with { CoordinatorModules = [.. cluster.CoordinatorModules, new HeadNodeRoutes(_headNode)] };
        }

        Cluster = new Cluster<TRow, TResult>(dataset, server, cluster);
        if (_headNode is not null)
        {
            Cluster.PartitionChanged += (_, change) => _headNode.OnPartitionChanged(change);
            Cluster.AttemptCompleted += (_, outcome) => _headNode.OnAttemptEnded(outcome.Partition, outcome.Attempt);
        }
    }

    internal HeadNode? HeadNode => _headNode;

    /// <summary>The cluster behind the service.</summary>
    public Cluster<TRow, TResult> Cluster { get; }

    /// <summary>The serving mode.</summary>
    public ServingMode Mode => _options.Mode;

    /// <summary>The driver-side address clients call (the gateway's or the head node's).</summary>
    public Uri Address { get; private set; } = null!;

    /// <summary>The full URL of a service: <c>{Address}serve/{name}</c>.</summary>
    public Uri GetServiceUri(string service)
    {
        ArgumentException.ThrowIfNullOrEmpty(service);
        return new Uri(Address, "serve/" + Uri.EscapeDataString(service));
    }

    internal async Task StartAsync(CancellationToken cancellationToken)
    {
        await Cluster.StartAsync(cancellationToken).ConfigureAwait(false);
        var loggerFactory = Cluster.Options.LoggerFactory ?? NullLoggerFactory.Instance;
        FrontTls.ThrowIfUncovered(_options, Cluster.Transport);
        if (_headNode is not null)
        {
            await _headNode.StartAsync(Cluster.Directory, Cluster.Options.CoordinatorBindAddress, Cluster.CoordinatorAddress.Host, Cluster.Transport, cancellationToken).ConfigureAwait(false);
            Address = _headNode.Address;
        }
        else
        {
            _gateway = await ServingGateway.StartAsync(_options, Cluster.Directory, loggerFactory, Cluster.Transport, cancellationToken).ConfigureAwait(false);
            Address = _gateway.Address;
        }
    }

    /// <summary>Stops the front (its in-flight requests drain up to the deadline), then the cluster; returns the cluster's results. Idempotent.</summary>
    public async Task<PartitionedDataset<TResult>> StopAsync(CancellationToken cancellationToken = default)
    {
        await StopFrontAsync().ConfigureAwait(false);
        return await Cluster.StopAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Stops the front and the cluster if running.</summary>
    public async ValueTask DisposeAsync()
    {
        await StopFrontAsync().ConfigureAwait(false);
        await Cluster.DisposeAsync().ConfigureAwait(false);
    }

    // The front goes first, so no new request arrives while partitions drain.
    private async Task StopFrontAsync()
    {
        if (Interlocked.Exchange(ref _stopped, 1) != 0)
        {
            return;
        }

        if (_gateway is not null)
        {
            await _gateway.DisposeAsync().ConfigureAwait(false);
        }

        if (_headNode is not null)
        {
            await _headNode.DisposeAsync().ConfigureAwait(false);
        }
    }
}
