using Xunit;

namespace Partitioned.Testing.Slurm;

/// <summary>Starts the local Slurm cluster once for the <see cref="SlurmCollection"/> and stops it after its last test.</summary>
public sealed class SlurmFixture : IAsyncLifetime
{
    private LocalSlurmCluster? _cluster;

    public LocalSlurmCluster Cluster => _cluster ?? throw new InvalidOperationException("The Slurm cluster has not started.");

    public async Task InitializeAsync() => _cluster = await LocalSlurmCluster.StartAsync();

    public async Task DisposeAsync()
    {
        if (_cluster is not null)
        {
            await _cluster.DisposeAsync();
        }
    }
}
