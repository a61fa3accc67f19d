using System.Collections.Immutable;

namespace Partitioned.Datasets;

/// <summary>Partitions held in memory.</summary>
internal sealed class InMemoryPartitionSource<T>(ImmutableArray<ImmutableArray<T>> partitions) : IPartitionSource<T>
{
    public int PartitionCount => partitions.Length;

    public IAsyncEnumerable<T> ReadAsync(int partition, CancellationToken cancellationToken) => partitions[partition].ToAsyncEnumerable();

    public string Describe(int partition) => $"in-memory partition {partition} ({partitions[partition].Length} rows)";

    public ImmutableArray<T> this[int partition] => partitions[partition];
}
