using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using Partitioned.Datasets;

namespace Partitioned.Parquet;

/// <summary>
/// Partitions read from Parquet files, a row group at a time: one row group's bound columns are decoded, its rows
/// are handed out one by one, and only then is the next one read. A semaphore shared by every partition of the
/// dataset caps how many row groups are decoded at once, so reading many partitions together (a cluster starting
/// every partition at once) still never holds a whole file.
/// </summary>
internal sealed class ParquetPartitionSource<T>(ImmutableArray<ParquetPartition> partitions, RowContract contract, int maxRowGroupsInMemory) : IPartitionSource<T>
{
    private readonly SemaphoreSlim _decoded = new(maxRowGroupsInMemory, maxRowGroupsInMemory);

    public int PartitionCount => partitions.Length;

    public string Describe(int partition) => partitions[partition].ToString();

    public async IAsyncEnumerable<T> ReadAsync(int partition, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var (file, only, _) = partitions[partition];
        var reader = await ParquetFiles.OpenAsync(file, cancellationToken).ConfigureAwait(false);
        await using (reader.ConfigureAwait(false))
        {
            var first = only ?? 0;
            var last = only ?? reader.RowGroupCount - 1;
            if (last >= reader.RowGroupCount)
            {
                throw new ParquetDataException(file, last, null, null, $"the file now has {reader.RowGroupCount} row groups; it changed since the dataset was made.");
            }

            var binding = RowBinding<T>.Bind(contract, reader.Schema, file, first, reader.RowGroupCount);
            for (var group = first; group <= last; group++)
            {
                await _decoded.WaitAsync(cancellationToken).ConfigureAwait(false);
                try
                {
                    using var rowGroup = reader.OpenRowGroupReader(group);
                    var buffers = await binding.ReadAsync(rowGroup, group, cancellationToken).ConfigureAwait(false);
                    var rows = (int)rowGroup.RowCount;
                    for (var row = 0; row < rows; row++)
                    {
                        yield return binding.CreateRow(buffers, group, row);
                    }
                }
                finally
                {
                    _decoded.Release();
                }
            }
        }
    }
}
