using System.Text.Json;
using Partitioned.Datasets;

namespace Partitioned.Tests.Datasets;

public sealed class PartitionedDatasetTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("partitioned-tests-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Theory]
    [InlineData(10, 3)]
    [InlineData(1000, 7)]
    [InlineData(2, 5)]
    [InlineData(0, 2)]
    public async Task FromCollection_SlicesLikeSparkParallelize(int count, int partitions)
    {
        var dataset = PartitionedDataset.FromCollection(Enumerable.Range(0, count), partitions);

        var slices = await dataset.CollectPartitionsAsync();

        slices.Should().HaveCount(partitions);
        for (var i = 0; i < partitions; i++)
        {
            var start = (int)((long)i * count / partitions);
            var end = (int)((long)(i + 1) * count / partitions);
            slices[i].Should().Equal(Enumerable.Range(start, end - start), $"partition {i} holds [{start}, {end})");
        }
    }

    [Fact]
    public async Task JsonLines_RoundTripThroughFolder_OnePartitionPerFile()
    {
        var dataset = PartitionedDataset.FromPartitions(new[] { new[] { new Doc("a", 1) }, [], [new Doc("b", 2), new Doc("c", 3)] });

        var files = await dataset.WriteJsonLinesAsync(_folder);
        var read = PartitionedDataset.FromJsonLinesFolder<Doc>(_folder);

        files.Select(Path.GetFileName).Should().Equal("part-00000.jsonl", "part-00001.jsonl", "part-00002.jsonl");
        read.PartitionCount.Should().Be(3);
        (await read.CollectPartitionsAsync()).Should().BeEquivalentTo(await dataset.CollectPartitionsAsync(), o => o.WithStrictOrdering());
        File.ReadAllText(files[0]).Should().Be("{\"name\":\"a\",\"size\":1}\n");
    }

    [Fact]
    public async Task JsonLines_BadLine_NamesFileAndLine()
    {
        var path = Path.Combine(_folder, "bad.jsonl");
        await File.WriteAllTextAsync(path, "{\"name\":\"a\",\"size\":1}\n\n{\"name\":\"b\",\"size\":\"big\"}\n");
        var dataset = PartitionedDataset.FromJsonLinesFiles<Doc>([path]);

        var act = () => dataset.CollectAsync();

        var error = (await act.Should().ThrowAsync<InvalidDataException>()).Which;
        error.Message.Should().Contain(path).And.Contain("line 3").And.Contain(".size");
    }

    [Fact]
    public async Task JsonLines_MissingRequiredMember_IsAnErrorNotANull()
    {
        var path = Path.Combine(_folder, "missing.jsonl");
        await File.WriteAllTextAsync(path, "{\"name\":\"a\"}\n");

        var act = () => PartitionedDataset.FromJsonLinesFiles<Doc>([path]).CollectAsync();

        (await act.Should().ThrowAsync<InvalidDataException>()).Which.Message.Should().Contain("size");
    }

    [Fact]
    public void JsonLines_MissingFileOrEmptyFolder_FailFast()
    {
        var missing = () => PartitionedDataset.FromJsonLinesFiles<Doc>([Path.Combine(_folder, "nope.jsonl")]);
        var empty = () => PartitionedDataset.FromJsonLinesFolder<Doc>(_folder);

        missing.Should().Throw<FileNotFoundException>().WithMessage("*nope.jsonl*");
        empty.Should().Throw<ArgumentException>().WithMessage("*no files matching*");
    }

    [Fact]
    public async Task Generator_ProducesEachPartitionOnEveryRead()
    {
        var reads = 0;
        var dataset = PartitionedDataset.FromGenerator(3, partition =>
        {
            Interlocked.Increment(ref reads);
            return Enumerable.Range(partition * 10, 2);
        });

        (await dataset.CollectAsync()).Should().Equal(0, 1, 10, 11, 20, 21);
        (await dataset.CollectPartitionAsync(1)).Should().Equal(10, 11);
        reads.Should().Be(4);
        dataset.DescribePartition(2).Should().Be("generated partition 2");
    }

    [Fact]
    public void ReadPartition_OutOfRange_Throws()
    {
        var dataset = PartitionedDataset.FromCollection([1, 2], 2);

        var act = () => dataset.ReadPartitionAsync(2);

        act.Should().Throw<ArgumentOutOfRangeException>();
    }

    public sealed record Doc(string Name, int Size);
}
