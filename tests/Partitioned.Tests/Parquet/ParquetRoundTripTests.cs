using Partitioned.Datasets;
using Partitioned.Parquet;

namespace Partitioned.Tests.Parquet;

/// <summary>Datasets written as Parquet and read back: every supported type, nulls, empty partitions, many row groups.</summary>
public sealed class ParquetRoundTripTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("partitioned-parquet-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public async Task WriteThenRead_EveryType_WithAndWithoutNulls_ComesBackEqual()
    {
        var rows = new[]
        {
            AllTypes.Sample(1),
            AllTypes.Sample(2) with { MaybeInt = null, MaybeDouble = null, MaybeText = null, MaybeTime = null, MaybeId = null, MaybeBytes = null },
            AllTypes.Sample(3) with { Text = string.Empty, Bytes = [] },
        };
        var dataset = PartitionedDataset.FromPartitions([rows[..2], rows[2..]]);

        var files = await dataset.WriteParquetAsync(_folder);
        var read = await PartitionedDataset.FromParquetFolderAsync<AllTypes>(_folder);

        files.Select(Path.GetFileName).Should().Equal("part-00000.parquet", "part-00001.parquet");
        read.PartitionCount.Should().Be(2);
        (await read.CollectPartitionsAsync()).Should().BeEquivalentTo(await dataset.CollectPartitionsAsync(), o => o.WithStrictOrdering());
    }

    [Fact]
    public async Task RowGroupPartitioning_ManyRowGroups_OnePartitionPerGroup_InFileOrder()
    {
        var readings = Enumerable.Range(0, 95).Select(i => SensorReading.Generate(i)).ToList();
        await PartitionedDataset.FromPartitions([readings]).WriteParquetAsync(_folder, new ParquetWriteOptions { RowGroupSize = 10 });

        var byGroup = await PartitionedDataset.FromParquetFolderAsync<SensorReading>(_folder, options: new ParquetReadOptions { PartitionBy = ParquetPartitioning.RowGroup });
        var byFile = await PartitionedDataset.FromParquetFolderAsync<SensorReading>(_folder);

        byGroup.PartitionCount.Should().Be(10);
        var groups = await byGroup.CollectPartitionsAsync();
        groups.Take(9).Should().OnlyContain(static g => g.Count == 10);
        groups[9].Should().HaveCount(5);
        groups.SelectMany(static g => g).Should().Equal(readings);
        byGroup.DescribePartition(3).Should().EndWith("part-00000.parquet, row group 3");
        byFile.PartitionCount.Should().Be(1);
        (await byFile.CollectAsync()).Should().Equal(readings);
        byFile.DescribePartition(0).Should().EndWith("(10 row groups)");
    }

    [Fact]
    public async Task EmptyPartition_IsAFileWithNoRowGroups_AndReadsBackEmpty_InBothPartitionings()
    {
        var dataset = PartitionedDataset.FromPartitions(new[] { Array.Empty<SensorReading>(), [SensorReading.Generate(7)] });

        var files = await dataset.WriteParquetAsync(_folder);
        var byFile = await PartitionedDataset.FromParquetFilesAsync<SensorReading>(files);
        var byGroup = await PartitionedDataset.FromParquetFilesAsync<SensorReading>(files, new ParquetReadOptions { PartitionBy = ParquetPartitioning.RowGroup });

        (await byFile.CollectPartitionsAsync()).Select(static p => p.Count).Should().Equal(0, 1);
        (await byGroup.CollectPartitionsAsync()).Select(static p => p.Count).Should().Equal(0, 1);
        byGroup.DescribePartition(0).Should().EndWith("(0 row groups)");
    }

    [Fact]
    public async Task Widening_IntColumnIntoLongAndDouble_Works_NarrowingIsRefused()
    {
        await PartitionedDataset.FromPartitions([[new Narrow(1, 2, 1.5f), new Narrow(-3, 4, 0.25f)]]).WriteParquetAsync(_folder);

        var wide = await (await PartitionedDataset.FromParquetFolderAsync<Wide>(_folder)).CollectAsync();
        var narrowing = () => PartitionedDataset.FromParquetFolderAsync<Narrower>(_folder);

        wide.Should().Equal(new Wide(1, 2, 1.5), new Wide(-3, 4, 0.25));
        (await narrowing.Should().ThrowAsync<ParquetDataException>()).Which.Message.Should().Contain("column 'count'").And.Contain("holds int values").And.Contain("is short");
    }

    [Fact]
    public async Task Columns_MatchMembersIgnoringCase_ExtraColumnsIgnored_OptionalMissingMembersDefault()
    {
        await PartitionedDataset.FromPartitions([[new PascalCased("a", 1, "ignored")]]).WriteParquetAsync(_folder, new ParquetWriteOptions { Json = new System.Text.Json.JsonSerializerOptions() });

        var read = await (await PartitionedDataset.FromParquetFolderAsync<WithOptional>(_folder)).CollectAsync();

        read.Should().Equal(new WithOptional("a", 1, Note: "none", Score: null) { Settable = 42 });
    }

    [Fact]
    public async Task WriteParquetAsync_SmallerDatasetIntoTheSameFolder_ReadsBackExactlyTheNewPartitions()
    {
        await Readings(4, from: 0).WriteParquetAsync(_folder);

        var second = Readings(2, from: 100);
        var files = await second.WriteParquetAsync(_folder);
        var read = await PartitionedDataset.FromParquetFolderAsync<SensorReading>(_folder);

        files.Select(Path.GetFileName).Should().Equal("part-00000.parquet", "part-00001.parquet");
        Directory.EnumerateFileSystemEntries(_folder).Select(Path.GetFileName).Should().BeEquivalentTo(["part-00000.parquet", "part-00001.parquet"], "stale parts and the staging folder are gone");
        read.PartitionCount.Should().Be(2, "the parts 2 and 3 of the earlier, larger write must not read back as data");
        (await read.CollectPartitionsAsync()).Should().BeEquivalentTo(await second.CollectPartitionsAsync(), o => o.WithStrictOrdering());
    }

    [Fact]
    public async Task WriteParquetAsync_FilesThatAreNotTheWritersParts_AreLeftAlone()
    {
        await Readings(4, from: 0).WriteParquetAsync(_folder);
        var foreign = new[] { "notes.txt", "part-7.parquet", "part-00003-copy.parquet", "_SUCCESS", Path.Combine("archive", "part-00003.parquet") };
        foreach (var name in foreign)
        {
            var path = Path.Combine(_folder, name);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            await File.WriteAllTextAsync(path, $"not the writer's: {name}");
        }

        var second = Readings(2, from: 100);
        var files = await second.WriteParquetAsync(_folder);
        var read = await PartitionedDataset.FromParquetFilesAsync<SensorReading>(files);

        foreach (var name in foreign)
        {
            (await File.ReadAllTextAsync(Path.Combine(_folder, name))).Should().Be($"not the writer's: {name}");
        }

        File.Exists(Path.Combine(_folder, "part-00002.parquet")).Should().BeFalse();
        File.Exists(Path.Combine(_folder, "part-00003.parquet")).Should().BeFalse();
        (await read.CollectPartitionsAsync()).Should().BeEquivalentTo(await second.CollectPartitionsAsync(), o => o.WithStrictOrdering());
    }

    [Fact]
    public async Task WriteParquetAsync_FailingWrite_LeavesTheEarlierDatasetAsItWas()
    {
        var first = Readings(3, from: 0);
        await first.WriteParquetAsync(_folder);

        // Partition 0 writes fine, partition 1 holds a null row: the write fails half way.
        var broken = PartitionedDataset.FromPartitions(new[] { [SensorReading.Generate(100)], new SensorReading[] { null! } });
        var write = () => broken.WriteParquetAsync(_folder);

        (await write.Should().ThrowAsync<ParquetDataException>()).Which.File.Should().Be(Path.Combine(_folder, "part-00001.parquet"));
        Directory.EnumerateFileSystemEntries(_folder).Select(Path.GetFileName).Should().BeEquivalentTo(["part-00000.parquet", "part-00001.parquet", "part-00002.parquet"]);
        var read = await PartitionedDataset.FromParquetFolderAsync<SensorReading>(_folder);
        (await read.CollectPartitionsAsync()).Should().BeEquivalentTo(await first.CollectPartitionsAsync(), o => o.WithStrictOrdering());
    }

    private static PartitionedDataset<SensorReading> Readings(int partitions, int from) =>
        PartitionedDataset.FromPartitions(Enumerable.Range(0, partitions).Select(p => Enumerable.Range(from + (p * 3), 3).Select(static i => SensorReading.Generate(i)).ToArray()));

    public sealed record Narrow(int Count, short Small, float Ratio);

    public sealed record Wide(long Count, double Small, double Ratio);

    public sealed record Narrower(short Count, short Small, float Ratio);

    public sealed record PascalCased(string Name, int Size, string Extra);

    public sealed record WithOptional(string Name, int Size, string Note = "none", double? Score = null)
    {
        public int Settable { get; init; } = 42;
    }
}
