using Microsoft.Extensions.Hosting;
using Partitioned.Clustering;
using Partitioned.Datasets;
using Partitioned.Server;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers a partitioned cluster with a host: started when the host starts, stopped gracefully when it stops.</summary>
public static class PartitionedClusterServiceCollectionExtensions
{
    /// <summary>
    /// Registers a <see cref="Cluster{TRow, TResult}"/> of <paramref name="server"/> over <paramref name="dataset"/>,
    /// available by injection, started with the host (its start waits until every partition serves) and stopped
    /// gracefully within the host's shutdown timeout. The host's logger factory and <see cref="TimeProvider"/> are used
    /// unless the settings name others. One cluster per row and result type pair.
    /// </summary>
    /// <returns>A builder to read settings from configuration or code.</returns>
    /// <exception cref="InvalidOperationException">A cluster of these row and result types is already registered.</exception>
    public static PartitionedClusterBuilder<TRow, TResult> AddPartitionedCluster<TRow, TResult>(
        this IServiceCollection services, PartitionedDataset<TRow> dataset, PartitionServerDefinition<TRow, TResult> server)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentNullException.ThrowIfNull(server);
        var builder = new PartitionedClusterBuilder<TRow, TResult>(services);
        services.AddSingleton(provider => new Cluster<TRow, TResult>(dataset, server, builder.CreateOptions(provider)));
        services.AddHostedService<ClusterHostedService<TRow, TResult>>();
        return builder;
    }
}
