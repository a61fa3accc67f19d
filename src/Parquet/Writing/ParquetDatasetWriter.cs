using Parquet;
using Parquet.Schema;
using Partitioned.Datasets;

namespace Partitioned.Parquet;

/// <summary>
/// Writes a dataset as one Parquet file per partition (<c>part-00000.parquet</c>, ...), streaming: a partition's rows
/// are gathered one row group at a time, written, and dropped. Column names are the row type's JSON names, so the
/// files read back into the same type. A write replaces the dataset in the folder: parts of an earlier write that
/// this one does not have are deleted, and every other file is left alone.
/// </summary>
/// <remarks>
/// How the old dataset is replaced: every part is first written into a hidden folder inside the target folder, then
/// each is renamed over its final name, and only then are the writer's own parts (<c>part-NNNNN.parquet</c>) that
/// this write did not produce deleted. Renames within one file system are atomic, so a reader never opens a
/// half-written part, and a write that fails (a bad row, cancellation, a full disk) leaves the earlier dataset as it
/// was, with nothing of its own behind (a write whose process is killed leaves its hidden folder: the next write of the
/// folder deletes it, see <see cref="StagingFolder"/>). Swapping in a whole sibling folder instead would hide even the moment of the
/// renames, but it needs the parent folder to be writable, breaks on a folder that is a mount point, and would have to
/// move the user's other files with it; renames inside the folder need only the folder. The price: a reader that
/// lists the folder while the renames run (no data is written then, only names change) can see new and old parts
/// together, so readers should not race a write of the same folder (write each run to a folder of its own for that).
/// </remarks>
internal static class ParquetDatasetWriter
{
    public static async Task<IReadOnlyList<string>> WriteAsync<T>(PartitionedDataset<T> dataset, string folder, ParquetWriteOptions options, CancellationToken cancellationToken)
    {
        var contract = RowContract.For<T>(options.Json, forWriting: true);
        var columns = contract.Members.Where(static m => m.Get is not null).Select(ColumnWriter.For).ToList();
        var schema = new ParquetSchema(columns.Select(static c => (Field)c.Field));
        folder = Path.GetFullPath(folder);
        Directory.CreateDirectory(folder);

        // Disposed at the end: after a failure that drops the parts written so far; after success it is an empty folder.
        using var staging = StagingFolder.Create(folder);
        var files = new List<string>(dataset.PartitionCount);
        for (var partition = 0; partition < dataset.PartitionCount; partition++)
        {
            var name = PartName(partition);
            var path = Path.Combine(folder, name);
            await WritePartitionAsync(dataset.ReadPartitionAsync(partition, cancellationToken), Path.Combine(staging.Path, name), path, schema, columns, options.RowGroupSize, cancellationToken).ConfigureAwait(false);
            files.Add(path);
        }

        // Every part is written: from here on only names change. New parts first, then the old ones that are gone.
        foreach (var file in files)
        {
            File.Move(Path.Combine(staging.Path, Path.GetFileName(file)), file, overwrite: true);
        }

        DeleteStaleParts(folder, dataset.PartitionCount);
        return files;
    }

    private static string PartName(int partition) => $"part-{partition:D5}.parquet";

    /// <summary>Deletes the parts of an earlier write with an index this write does not have. Only names this writer makes are touched.</summary>
    private static void DeleteStaleParts(string folder, int partitionCount)
    {
        foreach (var file in Directory.EnumerateFiles(folder, "part-*.parquet"))
        {
            var name = Path.GetFileName(file);
            var digits = name["part-".Length..^".parquet".Length];

            // Exactly a name this writer makes (part-00012.parquet, part-123456.parquet): "part-7.parquet" or
            // "part-00012-copy.parquet" are someone else's.
            if (int.TryParse(digits, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var partition)
                && partition >= partitionCount && PartName(partition) == name)
            {
                File.Delete(file);
            }
        }
    }

    /// <summary>Writes one partition to <paramref name="path"/>; errors name <paramref name="part"/>, the file it becomes.</summary>
    private static async Task WritePartitionAsync<T>(IAsyncEnumerable<T> rows, string path, string part, ParquetSchema schema, List<ColumnWriter> columns, int rowGroupSize, CancellationToken cancellationToken)
    {
        var stream = new FileStream(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, bufferSize: 64 * 1024, useAsync: true);
        await using (stream.ConfigureAwait(false))
        {
            var writer = await ParquetWriter.CreateAsync(schema, stream, cancellationToken: cancellationToken).ConfigureAwait(false);
            await using (writer.ConfigureAwait(false))
            {
                var buffer = new List<object>(Math.Min(rowGroupSize, 16 * 1024));
                var rowGroup = 0;
                await foreach (var row in rows.WithCancellation(cancellationToken).ConfigureAwait(false))
                {
                    buffer.Add(row ?? throw new ParquetDataException(part, rowGroup, buffer.Count, null, "the row is null; every row must be a value."));
                    if (buffer.Count == rowGroupSize)
                    {
                        await WriteRowGroupAsync(writer, buffer, columns, part, rowGroup++, cancellationToken).ConfigureAwait(false);
                    }
                }

                if (buffer.Count > 0)
                {
                    await WriteRowGroupAsync(writer, buffer, columns, part, rowGroup, cancellationToken).ConfigureAwait(false);
                }
            }
        }
    }

    private static async Task WriteRowGroupAsync(ParquetWriter writer, List<object> rows, List<ColumnWriter> columns, string path, int index, CancellationToken cancellationToken)
    {
        using var rowGroup = writer.CreateRowGroup();
        foreach (var column in columns)
        {
            await column.WriteAsync(rowGroup, rows, path, index, cancellationToken).ConfigureAwait(false);
        }

        rows.Clear();
    }
}
