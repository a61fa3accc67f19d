namespace Partitioned.Clustering;

/// <summary>Where a dataset's partitions come from. Every partition can be read any number of times (a re-launched attempt reads it again).</summary>
internal interface IPartitionSource<T>
{
    int PartitionCount { get; }

    IAsyncEnumerable<T> ReadAsync(int partition, CancellationToken cancellationToken);

    /// <summary>Says where a partition comes from, for error messages ("file data/part-2.jsonl").</summary>
    string Describe(int partition);
}
