using Microsoft.Extensions.Logging;
using Partitioned.Testing.Slurm;
using Xunit.Abstractions;

namespace Partitioned.Tests.Slurm;

/// <summary>Replicas on a real three-node Slurm cluster: siblings are placed on different nodes.</summary>
[Collection(SlurmCollection.Name)]
public sealed class SlurmReplicaPlacementTests : IDisposable
{
    private readonly LocalSlurmCluster _slurm;
    private readonly ITestOutputHelper _output;
    private readonly ILoggerFactory _loggerFactory;

    public SlurmReplicaPlacementTests(SlurmFixture fixture, ITestOutputHelper output)
    {
        _slurm = fixture.Cluster;
        _output = output;
        (_loggerFactory, _) = TestLogging.Create(output, LogLevel.Information);
    }

    public void Dispose() => _loggerFactory.Dispose();

    [Fact]
    public async Task Start_ThreeReplicasOnThreeNodes_EachPartitionsReplicasRunOnDifferentNodes()
    {
        await using var cluster = await Clustering.Cluster.StartAsync(TestClusters.Integers(20, 2), TestServers.RowsWith(), _slurm.ClusterOptions(_loggerFactory) with { Replicas = 3 });

        foreach (var entry in cluster.Directory.Current.Partitions)
        {
            _output.WriteLine($"partition {entry.Partition}: {string.Join(", ", entry.Replicas.Select(r => $"replica {r.Replica} attempt {r.Attempt} on {r.Node}"))}");
            entry.Replicas.Select(r => r.Node).Should().OnlyHaveUniqueItems("siblings avoid each other's nodes while other nodes exist")
                .And.HaveCount(3);
        }

        var results = await cluster.StopAsync();
        (await results.CollectAsync()).Should().Equal(Enumerable.Range(0, 20));
    }
}
