namespace Partitioned.Parquet;

/// <summary>
/// A piece of a Parquet dataset that a partition reads itself: a file, and either all its row groups or one. For
/// workers that see the same files as the driver (a shared file system): the driver sends each partition one shard
/// instead of its rows, and the partition's server reads the rows where it runs. Made by
/// <c>PartitionedDataset.FromParquetShardsAsync</c>; travels to worker processes as JSON like any row.
/// </summary>
/// <param name="File">The file's full path, the same on the driver and the workers.</param>
/// <param name="RowGroup">The one row group to read, or null for all of them in order.</param>
public sealed record ParquetShard(string File, int? RowGroup)
{
    /// <summary>Streams the shard's rows, a row group at a time, with the same mapping and errors as a Parquet dataset.</summary>
    /// <param name="options">Naming and memory settings (<see cref="ParquetReadOptions.PartitionBy"/> does not apply).</param>
    /// <param name="cancellationToken">Stops the read.</param>
    /// <exception cref="ParquetDataException">The file cannot be read or does not fit <typeparamref name="T"/>.</exception>
    public IAsyncEnumerable<T> ReadRowsAsync<T>(ParquetReadOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new ParquetReadOptions();
        options.Validate();
        var contract = RowContract.For<T>(options.Json, forWriting: false);
        var source = new ParquetPartitionSource<T>([new ParquetPartition(File, RowGroup, RowGroup is null ? 0 : RowGroup.Value + 1)], contract, options.MaxRowGroupsInMemory);
        return source.ReadAsync(0, cancellationToken);
    }
}
