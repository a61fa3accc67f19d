using Microsoft.Extensions.Hosting;
using Partitioned.Clustering;
using Partitioned.Datasets;
using Partitioned.Server;
using Partitioned.Serving;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers a serving cluster with a host: its partitions and its front start with the host and stop with it.</summary>
public static class PartitionedServingServiceCollectionExtensions
{
    /// <summary>
    /// Registers a <see cref="ServingCluster{TRow, TResult}"/> (and its <see cref="Cluster{TRow, TResult}"/>, so
    /// <c>AddHealthChecks().AddPartitionedCluster&lt;TRow, TResult&gt;()</c> reports it), started with the host and stopped
    /// gracefully within the host's shutdown timeout. <paramref name="serving"/> chooses the mode and the front's address.
    /// </summary>
    /// <returns>A builder for the cluster's settings (configuration section, code).</returns>
    /// <exception cref="InvalidOperationException">A cluster of these row and result types is already registered.</exception>
    public static PartitionedClusterBuilder<TRow, TResult> AddPartitionedServing<TRow, TResult>(
        this IServiceCollection services, PartitionedDataset<TRow> dataset, PartitionServerDefinition<TRow, TResult> server, ServingOptions? serving = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentNullException.ThrowIfNull(server);
        var builder = new PartitionedClusterBuilder<TRow, TResult>(services);
        services.AddSingleton(provider => new ServingCluster<TRow, TResult>(dataset, server, serving ?? new ServingOptions(), builder.CreateOptions(provider)));
        services.AddSingleton(static provider => provider.GetRequiredService<ServingCluster<TRow, TResult>>().Cluster);
        services.AddHostedService<ServingHostedService<TRow, TResult>>();
        return builder;
    }
}
