using Parquet;
using Parquet.Schema;
using Partitioned.Clustering;

namespace Partitioned.Parquet;

/// <summary>
/// Writes a dataset as one Parquet file per partition, streaming: a partition's rows are gathered one row group at
/// a time, written, and dropped. Column names are the row type's JSON names, so the files read back into the
/// same type.
/// </summary>
internal static class ParquetDatasetWriter
{
    public static async Task<IReadOnlyList<string>> WriteAsync<T>(PartitionedDataset<T> dataset, string folder, ParquetWriteOptions options, CancellationToken cancellationToken)
    {
        var contract = RowContract.For<T>(options.Json, forWriting: true);
        var columns = contract.Members.Where(static m => m.Get is not null).Select(ColumnWriter.For).ToList();
        var schema = new ParquetSchema(columns.Select(static c => (Field)c.Field));
        Directory.CreateDirectory(folder);
        var files = new List<string>(dataset.PartitionCount);
        for (var partition = 0; partition < dataset.PartitionCount; partition++)
        {
            var path = Path.GetFullPath(Path.Combine(folder, $"part-{partition:D5}.parquet"));
            await WritePartitionAsync(dataset.ReadPartitionAsync(partition, cancellationToken), path, schema, columns, options.RowGroupSize, cancellationToken).ConfigureAwait(false);
            files.Add(path);
        }

        return files;
    }

    private static async Task WritePartitionAsync<T>(IAsyncEnumerable<T> rows, string path, ParquetSchema schema, List<ColumnWriter> columns, int rowGroupSize, CancellationToken cancellationToken)
    {
        var stream = new FileStream(path, FileMode.Create, FileAccess.ReadWrite, FileShare.None, bufferSize: 64 * 1024, useAsync: true);
        await using (stream.ConfigureAwait(false))
        {
            var writer = await ParquetWriter.CreateAsync(schema, stream, cancellationToken: cancellationToken).ConfigureAwait(false);
            await using (writer.ConfigureAwait(false))
            {
                var buffer = new List<object>(Math.Min(rowGroupSize, 16 * 1024));
                var rowGroup = 0;
                await foreach (var row in rows.WithCancellation(cancellationToken).ConfigureAwait(false))
                {
                    buffer.Add(row ?? throw new ParquetDataException(path, rowGroup, buffer.Count, null, "the row is null; every row must be a value."));
                    if (buffer.Count == rowGroupSize)
                    {
                        await WriteRowGroupAsync(writer, buffer, columns, path, rowGroup++, cancellationToken).ConfigureAwait(false);
                    }
                }

                if (buffer.Count > 0)
                {
                    await WriteRowGroupAsync(writer, buffer, columns, path, rowGroup, cancellationToken).ConfigureAwait(false);
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
