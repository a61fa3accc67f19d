using Microsoft.Extensions.Logging;
using Partitioned.Clustering;
using Partitioned.Datasets;
using Partitioned.Server;

namespace Partitioned.Testing;

/// <summary>Clusters configured for tests: fast re-launch, short health-check interval, logs into the test output.</summary>
public static class TestClusters
{
    public static ClusterOptions Options(ILoggerFactory loggerFactory, IPartitionRunner? runner = null) => new()
    {
        Runner = runner ?? InProcessRunner.Instance,
        LoggerFactory = loggerFactory,
        RelaunchDelay = TimeSpan.FromMilliseconds(20),
        HealthCheckInterval = TimeSpan.FromMilliseconds(200),
        StartTimeout = TimeSpan.FromSeconds(60),
        Server = new PartitionServerOptions { DrainTimeout = TimeSpan.FromSeconds(10) },
    };

    /// <summary>Integers 0..rows-1 split into <paramref name="partitions"/> partitions.</summary>
    public static PartitionedDataset<int> Integers(int rows, int partitions) => PartitionedDataset.FromCollection(Enumerable.Range(0, rows), partitions);
}
