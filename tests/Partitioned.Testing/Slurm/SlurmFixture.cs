using Xunit;

namespace Partitioned.Testing.Slurm;

/// <summary>Starts a local Slurm cluster once for a test collection and stops it after its last test.</summary>
/// <param name="instance">Which cluster (0 to 9): collections that run side by side each need their own.</param>
public abstract class LocalSlurmFixture(int instance) : IAsyncLifetime
{
    private LocalSlurmCluster? _cluster;

    public LocalSlurmCluster Cluster => _cluster ?? throw new InvalidOperationException("The Slurm cluster has not started.");

    public async Task InitializeAsync() => _cluster = await LocalSlurmCluster.StartAsync(instance);

    public async Task DisposeAsync()
    {
        if (_cluster is not null)
        {
            await _cluster.DisposeAsync();
        }
    }
}

/// <summary>
/// The cluster of the <c>Slurm</c> collection: instance 0, or the one <c>PARTITIONED_SLURM_INSTANCE</c> names, so a
/// second checkout (another worktree) runs its Slurm tests on a cluster of its own beside the first.
/// </summary>
public sealed class SlurmFixture() : LocalSlurmFixture(Partitioned.Examples.LocalSlurm.EnvironmentInstance);
