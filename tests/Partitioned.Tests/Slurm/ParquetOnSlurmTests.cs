using Microsoft.Extensions.Logging;
using Partitioned.Clustering;
using Partitioned.Datasets;
using Partitioned.Parquet;
using Partitioned.Testing.Slurm;
using Xunit.Abstractions;

namespace Partitioned.Tests.Slurm;

/// <summary>A Parquet dataset on the Slurm runner: the driver reads the file, workers on other nodes get the rows.</summary>
[Collection(SlurmCollection.Name)]
public sealed class ParquetOnSlurmTests : IDisposable
{
    private readonly LocalSlurmCluster _slurm;
    private readonly ILoggerFactory _loggerFactory;
    private readonly string _folder = Directory.CreateTempSubdirectory("partitioned-parquet-").FullName;

    public ParquetOnSlurmTests(SlurmFixture fixture, ITestOutputHelper output)
    {
        _slurm = fixture.Cluster;
        (_loggerFactory, _) = TestLogging.Create(output, LogLevel.Information);
    }

    public void Dispose()
    {
        _loggerFactory.Dispose();
        Directory.Delete(_folder, recursive: true);
    }

    [Fact]
    public async Task RowGroupPartitions_OnSlurmNodes_GetEveryRow()
    {
        await PartitionedDataset.FromGenerator(1, _ => Enumerable.Range(0, 3_000).Select(i => SensorReading.Generate(i)))
            .WriteParquetAsync(_folder, new ParquetWriteOptions { RowGroupSize = 1_000 });
        var readings = await PartitionedDataset.FromParquetFolderAsync<SensorReading>(_folder, options: new ParquetReadOptions { PartitionBy = ParquetPartitioning.RowGroup });

        await using var cluster = await Clustering.Cluster.StartAsync(readings, ReadingsServer.Definition, _slurm.ClusterOptions(_loggerFactory));
        var nodes = cluster.Directory.Current.Partitions.Select(static p => p.Node).ToList();
        var summaries = await (await cluster.StopAsync()).CollectAsync();

        var (sum, nulls) = SensorReading.Expected(3_000);
        nodes.Should().OnlyContain(node => _slurm.Nodes.Contains(node!));
        summaries.Select(static s => (s.Count, s.FirstId)).Should().Equal((1_000, 0), (1_000, 1_000), (1_000, 2_000));
        summaries.Sum(static s => s.Sum).Should().Be(sum);
        summaries.Sum(static s => s.MissingQuality).Should().Be(nulls);
    }
}
