using Microsoft.Extensions.Options;
using Parquet.Serialization;
using Partitioned.Datasets;
using Partitioned.Parquet;

namespace Partitioned.Tests.Parquet;

/// <summary>Files that do not fit the row type fail with errors that say where and why, never with silent defaults.</summary>
public sealed class ParquetSchemaErrorTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("partitioned-parquet-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public async Task MissingRequiredColumn_FailsWhenTheDatasetIsMade_NamingFileAndColumn()
    {
        var file = (await PartitionedDataset.FromPartitions([[new Doc("a", 1)]]).WriteParquetAsync(_folder))[0];

        var act = () => PartitionedDataset.FromParquetFilesAsync<DocWithSize>([file]);

        var error = (await act.Should().ThrowAsync<ParquetDataException>()).Which;
        error.File.Should().Be(file);
        error.Column.Should().Be("weight");
        error.RowGroup.Should().BeNull("a schema belongs to the whole file");
        error.Message.Should().StartWith($"{file}, column 'weight': missing: DocWithSize requires member 'weight' (double)")
            .And.Contain("all 1 row groups").And.Contain("its columns: name, size");
    }

    [Fact]
    public async Task WrongColumnType_NamesFileColumnAndBothTypes()
    {
        var file = (await PartitionedDataset.FromPartitions([[new TextSize("a", "big")]]).WriteParquetAsync(_folder))[0];

        var act = () => PartitionedDataset.FromParquetFilesAsync<Doc>([file]);

        var error = (await act.Should().ThrowAsync<ParquetDataException>()).Which;
        error.Column.Should().Be("size");
        error.Message.Should().Contain(file).And.Contain("holds string values").And.Contain("member 'size' of Doc is int");
    }

    [Fact]
    public async Task NullInAMemberThatTakesNone_FailsTheRead_NamingFileRowGroupRowAndColumn()
    {
        var rows = Enumerable.Range(0, 25).Select(i => new MaybeSize($"d{i}", i == 17 ? null : i)).ToList();
        var file = (await PartitionedDataset.FromPartitions([rows]).WriteParquetAsync(_folder, new ParquetWriteOptions { RowGroupSize = 10 }))[0];
        var dataset = await PartitionedDataset.FromParquetFilesAsync<Doc>([file]);

        var act = () => dataset.CollectAsync();

        var error = (await act.Should().ThrowAsync<ParquetDataException>()).Which;
        (error.File, error.RowGroup, error.Row, error.Column).Should().Be((file, 1, 7L, "size"));
        error.Message.Should().StartWith($"{file}, row group 1, row 7, column 'size': the value is null, but member 'size' of Doc is int");
    }

    [Fact]
    public async Task NullableMember_TakesTheNulls()
    {
        var rows = new[] { new MaybeSize("a", null), new MaybeSize("b", 2) };
        var file = (await PartitionedDataset.FromPartitions([rows]).WriteParquetAsync(_folder))[0];

        var read = await (await PartitionedDataset.FromParquetFilesAsync<MaybeSize>([file])).CollectAsync();

        read.Should().Equal(rows);
    }

    [Fact]
    public async Task NestedColumns_AreRefusedByKind_WhenAMemberMapsToThem()
    {
        var file = Path.Combine(_folder, "nested.parquet");
        await ParquetSerializer.SerializeAsync(new[] { new Nested { Name = "a", Tags = [1, 2], Place = new Place { X = 1 } } }, file);

        var list = () => PartitionedDataset.FromParquetFilesAsync<FlatTags>([file]);
        var structure = () => PartitionedDataset.FromParquetFilesAsync<FlatPlace>([file]);
        var ignored = await (await PartitionedDataset.FromParquetFilesAsync<OnlyName>([file])).CollectAsync();

        (await list.Should().ThrowAsync<ParquetDataException>()).Which.Message.Should().Contain("column 'Tags': a list column").And.Contain("flat columns");
        (await structure.Should().ThrowAsync<ParquetDataException>()).Which.Message.Should().Contain("column 'Place': a struct (nested) column");
        ignored.Should().Equal(new OnlyName("a"));
    }

    [Fact]
    public async Task UnsupportedMemberTypes_AreRefusedForReadingAndWriting_NamingTheMembers()
    {
        var file = (await PartitionedDataset.FromPartitions([[new Doc("a", 1)]]).WriteParquetAsync(_folder))[0];

        var read = () => PartitionedDataset.FromParquetFilesAsync<WithList>([file]);
        var write = () => PartitionedDataset.FromPartitions([[new WithList("a", [1], DayOfWeek.Monday)]]).WriteParquetAsync(_folder);
        var scalar = () => PartitionedDataset.FromParquetFilesAsync<int>([file]);

        (await read.Should().ThrowAsync<NotSupportedException>()).Which.Message.Should().Contain("member 'tags' is List<int>").And.Contain("member 'day' is DayOfWeek");
        (await write.Should().ThrowAsync<NotSupportedException>()).Which.Message.Should().Contain("member 'tags' is List<int>");
        (await scalar.Should().ThrowAsync<NotSupportedException>()).Which.Message.Should().Contain("a row must be a class, record or struct");
    }

    [Fact]
    public async Task WritingNullIntoANonNullableMember_NamesFileRowGroupRowAndColumn()
    {
        var act = () => PartitionedDataset.FromPartitions([[new Doc("a", 1), new Doc(null!, 2)]]).WriteParquetAsync(_folder);

        var error = (await act.Should().ThrowAsync<ParquetDataException>()).Which;
        (error.RowGroup, error.Row, error.Column).Should().Be((0, 1L, "name"));
        error.File.Should().EndWith("part-00000.parquet");
    }

    [Fact]
    public async Task NotAParquetFile_MissingFile_EmptyFolder_AndBadOptions_FailFast()
    {
        var text = Path.Combine(_folder, "text.parquet");
        await File.WriteAllTextAsync(text, "not parquet at all, just some text that is long enough");
        var empty = Directory.CreateDirectory(Path.Combine(_folder, "empty")).FullName;

        var notParquet = () => PartitionedDataset.FromParquetFilesAsync<Doc>([text]);
        var missing = () => PartitionedDataset.FromParquetFilesAsync<Doc>([Path.Combine(_folder, "nope.parquet")]);
        var none = () => PartitionedDataset.FromParquetFolderAsync<Doc>(empty);
        var badRead = () => PartitionedDataset.FromParquetFilesAsync<Doc>([text], new ParquetReadOptions { MaxRowGroupsInMemory = 0 });
        var badWrite = () => PartitionedDataset.FromPartitions([[new Doc("a", 1)]]).WriteParquetAsync(_folder, new ParquetWriteOptions { RowGroupSize = 0 });

        (await notParquet.Should().ThrowAsync<ParquetDataException>()).Which.Message.Should().StartWith($"{text}: cannot be opened as a Parquet file");
        await missing.Should().ThrowAsync<FileNotFoundException>().WithMessage("*nope.parquet*");
        await none.Should().ThrowAsync<ArgumentException>().WithMessage("*no files matching '*.parquet'*");
        (await badRead.Should().ThrowAsync<OptionsValidationException>()).Which.Message.Should().Contain("MaxRowGroupsInMemory must be at least 1");
        (await badWrite.Should().ThrowAsync<OptionsValidationException>()).Which.Message.Should().Contain("RowGroupSize must be at least 1");
    }

    public sealed record Doc(string Name, int Size);

    public sealed record DocWithSize(string Name, int Size, double Weight);

    public sealed record TextSize(string Name, string Size);

    public sealed record MaybeSize(string Name, int? Size);

    public sealed record FlatTags(string Name, int Tags);

    public sealed record FlatPlace(string Name, int Place);

    public sealed record OnlyName(string Name);

    public sealed record WithList(string Name, List<int> Tags, DayOfWeek Day);

    public sealed class Nested
    {
        public string Name { get; set; } = string.Empty;

        public List<int> Tags { get; set; } = [];

        public Place Place { get; set; } = new();
    }

    public sealed class Place
    {
        public int X { get; set; }
    }
}
