using System.Text.Json;
using Microsoft.Extensions.Logging;
using Partitioned.Clustering;
using Partitioned.Datasets;
using Partitioned.Parquet;
using Xunit.Abstractions;

namespace Partitioned.Tests.Parquet;

/// <summary>Parquet datasets feeding clusters: the driver reads the files, partitions get typed rows, results go back to Parquet.</summary>
public sealed class ParquetClusterTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("partitioned-parquet-").FullName;
    private readonly ITestOutputHelper _output;
    private readonly ILoggerFactory _loggerFactory;

    public ParquetClusterTests(ITestOutputHelper output)
    {
        _output = output;
        (_loggerFactory, _) = TestLogging.Create(output, LogLevel.Information);
    }

    public void Dispose()
    {
        _loggerFactory.Dispose();
        Directory.Delete(_folder, recursive: true);
    }

    [Theory]
    [InlineData("in-process")]
    [InlineData("process")]
    public async Task RowGroupPartitions_ReachTheirServers_AndResultsFeedTheNextCluster(string runner)
    {
        const int rows = 3_000;
        await PartitionedDataset.FromGenerator(2, p => Enumerable.Range(p * rows / 2, rows / 2).Select(i => SensorReading.Generate(i)))
            .WriteParquetAsync(Path.Combine(_folder, "in"), new ParquetWriteOptions { RowGroupSize = 1_000 });
        var readings = await PartitionedDataset.FromParquetFolderAsync<SensorReading>(Path.Combine(_folder, "in"), options: new ParquetReadOptions { PartitionBy = ParquetPartitioning.RowGroup });
        var options = TestClusters.Options(_loggerFactory, runner == "process" ? TestWorkers.Runner() : InProcessRunner.Instance);

        IReadOnlyList<ReadingsSummary> summaries;
        await using (var cluster = await Clustering.Cluster.StartAsync(readings, ReadingsServer.Definition, options))
        {
            var results = await cluster.StopAsync();
            await results.WriteParquetAsync(Path.Combine(_folder, "out"));
            summaries = await results.CollectAsync();
        }

        var again = await PartitionedDataset.FromParquetFolderAsync<ReadingsSummary>(Path.Combine(_folder, "out"));
        var (sum, nulls) = SensorReading.Expected(rows);
        readings.PartitionCount.Should().Be(4, "two files of 1,500 rows in row groups of 1,000: 2 row groups each");
        summaries.Select(static s => s.Count).Should().Equal(1_000, 500, 1_000, 500);
        summaries.Select(static s => s.FirstId).Should().Equal(0, 1_000, 1_500, 2_500);
        summaries.Sum(static s => s.Sum).Should().Be(sum);
        summaries.Sum(static s => s.MissingQuality).Should().Be(nulls);
        if (runner == "process")
        {
            summaries.Select(static s => s.ProcessId).Should().OnlyHaveUniqueItems().And.NotContain(Environment.ProcessId);
        }

        again.PartitionCount.Should().Be(4, "one result file per partition");
        (await again.CollectAsync()).Should().Equal(summaries);
        _output.WriteLine(JsonSerializer.Serialize(summaries));
    }

    [Fact]
    public async Task Shards_OnASharedFileSystem_WorkerProcessesReadTheirOwnRowGroups()
    {
        const int rows = 3_000;
        var file = (await PartitionedDataset.FromGenerator(1, _ => Enumerable.Range(0, rows).Select(i => SensorReading.Generate(i)))
            .WriteParquetAsync(_folder, new ParquetWriteOptions { RowGroupSize = 1_000 }))[0];
        var shards = await PartitionedDataset.FromParquetShardsAsync<SensorReading>([file], new ParquetReadOptions { PartitionBy = ParquetPartitioning.RowGroup });
        var wrongType = () => PartitionedDataset.FromParquetShardsAsync<ParquetSchemaErrorTests.Doc>([file]);

        await using var cluster = await Clustering.Cluster.StartAsync(shards, ShardReadingServer.Definition, TestClusters.Options(_loggerFactory, TestWorkers.Runner()));
        var summaries = await (await cluster.StopAsync()).CollectAsync();

        var (sum, nulls) = SensorReading.Expected(rows);
        (await shards.CollectAsync()).Should().Equal(new ParquetShard(file, 0), new ParquetShard(file, 1), new ParquetShard(file, 2));
        summaries.Select(static s => (s.Count, s.FirstId)).Should().Equal((1_000, 0), (1_000, 1_000), (1_000, 2_000));
        summaries.Sum(static s => s.Sum).Should().Be(sum);
        summaries.Sum(static s => s.MissingQuality).Should().Be(nulls);
        summaries.Select(static s => s.ProcessId).Should().OnlyHaveUniqueItems().And.NotContain(Environment.ProcessId, "each worker process read its own row group");
        (await wrongType.Should().ThrowAsync<ParquetDataException>()).Which.Column.Should().Be("name", "the schema is still checked on the driver");
    }
}
