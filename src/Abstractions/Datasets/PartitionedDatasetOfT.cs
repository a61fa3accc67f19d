using System.Collections.Immutable;
using System.Text.Json;
using Partitioned.Protocol;

namespace Partitioned.Datasets;

/// <summary>
/// A dataset split into partitions: the input of a cluster, and the shape of its results, so one cluster's
/// results can feed another. Created by <see cref="PartitionedDataset"/>.
/// </summary>
/// <typeparam name="T">The row type.</typeparam>
public sealed class PartitionedDataset<T>
{
    private readonly IPartitionSource<T> _source;

    internal PartitionedDataset(IPartitionSource<T> source) => _source = source;

    /// <summary>How many partitions the dataset has.</summary>
    public int PartitionCount => _source.PartitionCount;

    /// <summary>Streams one partition's rows. Each call reads the partition again.</summary>
    public IAsyncEnumerable<T> ReadPartitionAsync(int partition, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(partition);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(partition, PartitionCount);
        return _source.ReadAsync(partition, cancellationToken);
    }

    /// <summary>Reads one partition into a list.</summary>
    public async Task<IReadOnlyList<T>> CollectPartitionAsync(int partition, CancellationToken cancellationToken = default)
    {
        if (_source is InMemoryPartitionSource<T> memory)
        {
            return memory[partition];
        }

        return await ReadPartitionAsync(partition, cancellationToken).ToListAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Reads every row, partition by partition, in partition order.</summary>
    public async Task<IReadOnlyList<T>> CollectAsync(CancellationToken cancellationToken = default)
    {
        var all = new List<T>();
        for (var partition = 0; partition < PartitionCount; partition++)
        {
            all.AddRange(await CollectPartitionAsync(partition, cancellationToken).ConfigureAwait(false));
        }

        return all;
    }

    /// <summary>Reads every partition into its own list, in partition order.</summary>
    public async Task<IReadOnlyList<IReadOnlyList<T>>> CollectPartitionsAsync(CancellationToken cancellationToken = default)
    {
        var partitions = new IReadOnlyList<T>[PartitionCount];
        for (var partition = 0; partition < PartitionCount; partition++)
        {
            partitions[partition] = await CollectPartitionAsync(partition, cancellationToken).ConfigureAwait(false);
        }

        return partitions;
    }

    /// <summary>Says where a partition's rows come from (a file, memory, a generator).</summary>
    public string DescribePartition(int partition) => _source.Describe(partition);

    /// <summary>
    /// Writes each partition to <c>part-00000.jsonl</c>, <c>part-00001.jsonl</c>, ... in <paramref name="folder"/>
    /// (created if needed), which <see cref="PartitionedDataset.FromJsonLinesFolder{T}"/> reads back.
    /// </summary>
    /// <returns>The files written, in partition order.</returns>
    public async Task<IReadOnlyList<string>> WriteJsonLinesAsync(string folder, JsonSerializerOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        Directory.CreateDirectory(folder);
        options ??= ProtocolJson.Options;
        var files = new List<string>(PartitionCount);
        for (var partition = 0; partition < PartitionCount; partition++)
        {
            var path = Path.Combine(folder, $"part-{partition:D5}.jsonl");
            var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 64 * 1024, useAsync: true);
            await using (stream.ConfigureAwait(false))
            {
                await Ndjson.WriteAsync(stream, ReadPartitionAsync(partition, cancellationToken), options, cancellationToken).ConfigureAwait(false);
            }

            files.Add(path);
        }

        return files;
    }

    internal static PartitionedDataset<T> FromLists(IReadOnlyList<IReadOnlyList<T>> partitions) =>
        new(new InMemoryPartitionSource<T>([.. partitions.Select(static p => p.ToImmutableArray())]));
}
