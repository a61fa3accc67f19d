namespace Partitioned.Datasets;

/// <summary>
/// Where a dataset's partitions come from: the extension point for dataset formats kept in packages of their own
/// (Parquet, for one). Wrap an implementation with <see cref="PartitionedDataset.FromSource{T}"/>.
/// </summary>
/// <remarks>
/// Every partition can be read any number of times, also concurrently (a re-launched attempt reads its partition
/// again while the other partitions are still being read). A read streams its rows: the driver sends them to the
/// partition as they come.
/// </remarks>
/// <typeparam name="T">The row type.</typeparam>
public interface IPartitionSource<T>
{
    /// <summary>How many partitions there are; fixed for the source's life.</summary>
    int PartitionCount { get; }

    /// <summary>Streams one partition's rows, reading them again on every call.</summary>
    /// <param name="partition">The partition, from 0 to <see cref="PartitionCount"/> - 1.</param>
    /// <param name="cancellationToken">Stops the read.</param>
    IAsyncEnumerable<T> ReadAsync(int partition, CancellationToken cancellationToken);

    /// <summary>Says where a partition comes from, for error messages ("file data/part-2.jsonl").</summary>
    string Describe(int partition);
}
