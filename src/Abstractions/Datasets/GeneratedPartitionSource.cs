namespace Partitioned.Datasets;

/// <summary>Partitions produced on demand by a generator, once per read.</summary>
internal sealed class GeneratedPartitionSource<T>(int partitionCount, Func<int, CancellationToken, IAsyncEnumerable<T>> generate) : IPartitionSource<T>
{
    public int PartitionCount => partitionCount;

    public IAsyncEnumerable<T> ReadAsync(int partition, CancellationToken cancellationToken) =>
        generate(partition, cancellationToken) ?? throw new InvalidOperationException($"The generator returned null for partition {partition}.");

    public string Describe(int partition) => $"generated partition {partition}";
}
