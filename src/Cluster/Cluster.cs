using Partitioned.Datasets;
using Partitioned.Server;

namespace Partitioned.Clustering;

/// <summary>Starts <see cref="Cluster{TRow, TResult}"/>s with the row and result types inferred.</summary>
public static class Cluster
{
    /// <summary>Creates a cluster of <paramref name="server"/> over <paramref name="dataset"/> and starts it.</summary>
    /// <returns>The cluster, with every partition serving.</returns>
    public static async Task<Cluster<TRow, TResult>> StartAsync<TRow, TResult>(
        PartitionedDataset<TRow> dataset,
        PartitionServerDefinition<TRow, TResult> server,
        ClusterOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        var cluster = new Cluster<TRow, TResult>(dataset, server, options);
        await cluster.StartAsync(cancellationToken).ConfigureAwait(false);
        return cluster;
    }
}
