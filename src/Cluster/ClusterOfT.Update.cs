using Partitioned.Server;

namespace Partitioned.Clustering;

/// <summary>Rolling updates.</summary>
public sealed partial class Cluster<TRow, TResult>
{
    /// <summary>
    /// Rolls a new version of the server out to every replica of every partition, one replica at a time: the new
    /// server starts next to the old one (built from the partition's rows), and once it serves (registered, so it
    /// takes the old one's place in the directory) the old one is drained and stopped. The cluster never has fewer
    /// serving replicas than before, also with one replica per partition. The version number shows in the directory
    /// (<see cref="Directories.ReplicaEntry.Version"/>) and in the coordinator's status.
    /// </summary>
    /// <param name="server">The new version: another server, or the same one with new settings. With the process or Slurm runner, workers must know its name.</param>
    /// <param name="cancellationToken">Stops the rollout; the replica being replaced keeps its old version.</param>
    /// <returns>The new version number (1 for the first update).</returns>
    /// <exception cref="RollingUpdateException">A new replica failed or did not serve within <see cref="ClusterOptions.StartTimeout"/>: the rollout stopped, that replica and those after it still serve the old version.</exception>
    /// <exception cref="InvalidOperationException">The cluster is not running, another update is under way, or the cluster was
    /// stopped during the rollout (<see cref="StopAsync"/> cancels a rollout under way and waits for it: the new server being
    /// started is stopped, so no server of the cluster outlives the stop; the message says the cluster stopped).</exception>
    public Task<int> UpdateAsync(PartitionServerDefinition<TRow, TResult> server, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(server);
        var run = Run;
        return run.Lines.Rollout.UpdateAsync(server, run.Clients.RequestShutdownAsync, cancellationToken);
    }

    /// <summary>The version of the server new attempts run: 0 until an update completed.</summary>
    /// <exception cref="InvalidOperationException">The cluster is not running.</exception>
    public int Version => Run.Lines.Version;
}
