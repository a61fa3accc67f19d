using System.Collections.Immutable;
using System.Text.Json;
using Partitioned.Protocol;

namespace Partitioned.Datasets;

/// <summary>Creates <see cref="PartitionedDataset{T}"/>s.</summary>
public static class PartitionedDataset
{
    /// <summary>
    /// Splits a collection into <paramref name="partitions"/> contiguous slices the way Spark's <c>parallelize</c>
    /// does: partition <c>i</c> gets the elements at positions <c>[i*n/N, (i+1)*n/N)</c>.
    /// </summary>
    public static PartitionedDataset<T> FromCollection<T>(IEnumerable<T> items, int partitions)
    {
        ArgumentNullException.ThrowIfNull(items);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(partitions);
        var all = items.ToImmutableArray();
        var slices = ImmutableArray.CreateBuilder<ImmutableArray<T>>(partitions);
        for (var i = 0; i < partitions; i++)
        {
            var start = (int)((long)i * all.Length / partitions);
            var end = (int)((long)(i + 1) * all.Length / partitions);
            slices.Add(all[start..end]);
        }

        return new PartitionedDataset<T>(new InMemoryPartitionSource<T>(slices.MoveToImmutable()));
    }

    /// <summary>A dataset whose partitions are given explicitly, one collection per partition.</summary>
    public static PartitionedDataset<T> FromPartitions<T>(IEnumerable<IEnumerable<T>> partitions)
    {
        ArgumentNullException.ThrowIfNull(partitions);
        var slices = partitions.Select(static p => p?.ToImmutableArray() ?? throw new ArgumentException("A partition is null.", nameof(partitions))).ToImmutableArray();
        if (slices.IsEmpty)
        {
            throw new ArgumentException("A dataset needs at least one partition.", nameof(partitions));
        }

        return new PartitionedDataset<T>(new InMemoryPartitionSource<T>(slices));
    }

    /// <summary>
    /// One partition per JSON-lines file, in the order given. Each line holds one row; a line that does not
    /// parse as <typeparamref name="T"/> fails the read with the file and line number.
    /// </summary>
    /// <param name="files">The files; each must exist.</param>
    /// <param name="options">JSON settings; default camelCase names, and missing required members or nulls for non-nullable members are errors.</param>
    public static PartitionedDataset<T> FromJsonLinesFiles<T>(IEnumerable<string> files, JsonSerializerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(files);
        var paths = DatasetFiles.Existing(files, "JSON-lines");

        return new PartitionedDataset<T>(new JsonLinesPartitionSource<T>(paths, options ?? ProtocolJson.Options));
    }

    /// <summary>One partition per file of a folder that matches <paramref name="searchPattern"/>, in ordinal name order.</summary>
    public static PartitionedDataset<T> FromJsonLinesFolder<T>(string folder, string searchPattern = "*.jsonl", JsonSerializerOptions? options = null)
    {
        var files = DatasetFiles.InFolder(folder, searchPattern);

        return FromJsonLinesFiles<T>(files, options);
    }

    /// <summary>A dataset read from a source of your own (a file format kept in another package, for example).</summary>
    /// <param name="source">The partitions; it must have at least one.</param>
    public static PartitionedDataset<T> FromSource<T>(IPartitionSource<T> source)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(source.PartitionCount, $"{nameof(source)}.{nameof(source.PartitionCount)}");
        return new PartitionedDataset<T>(source);
    }

    /// <summary>A dataset whose partition <c>i</c> is produced by <paramref name="generate"/>(i) each time it is read.</summary>
    public static PartitionedDataset<T> FromGenerator<T>(int partitions, Func<int, CancellationToken, IAsyncEnumerable<T>> generate)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(partitions);
        ArgumentNullException.ThrowIfNull(generate);
        return new PartitionedDataset<T>(new GeneratedPartitionSource<T>(partitions, generate));
    }

    /// <summary>A dataset whose partition <c>i</c> is produced by <paramref name="generate"/>(i) each time it is read.</summary>
    public static PartitionedDataset<T> FromGenerator<T>(int partitions, Func<int, IEnumerable<T>> generate)
    {
        ArgumentNullException.ThrowIfNull(generate);
        return FromGenerator(partitions, (partition, _) => generate(partition).ToAsyncEnumerable());
    }
}
