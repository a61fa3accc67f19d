using Partitioned.Clustering;
using Partitioned.Datasets;
using Partitioned.Server;

namespace Partitioned.Serving;

/// <summary>Starts <see cref="ServingCluster{TRow, TResult}"/>s with the row and result types inferred.</summary>
public static class ServingCluster
{
    /// <summary>
    /// Starts a cluster of <paramref name="server"/> (whose partitions add services in <c>ConfigureFeatures</c>) and,
    /// in front of it, the gateway (distributed mode) or the ingress (head-node mode).
    /// </summary>
    public static async Task<ServingCluster<TRow, TResult>> StartAsync<TRow, TResult>(
        PartitionedDataset<TRow> dataset,
        PartitionServerDefinition<TRow, TResult> server,
        ServingOptions? serving = null,
        ClusterOptions? cluster = null,
        CancellationToken cancellationToken = default)
    {
        var instance = new ServingCluster<TRow, TResult>(dataset, server, serving ?? new ServingOptions(), cluster ?? new ClusterOptions());
        try
        {
            await instance.StartAsync(cancellationToken).ConfigureAwait(false);
            return instance;
        }
        catch
        {
            await instance.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }
}
