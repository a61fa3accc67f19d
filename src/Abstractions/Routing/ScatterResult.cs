using System.Collections;

namespace Partitioned.Routing;

/// <summary>Every queried partition's reply to a scatter-gather query, in partition order.</summary>
/// <typeparam name="T">The answer type.</typeparam>
public sealed class ScatterResult<T> : IReadOnlyList<PartitionReply<T>>
{
    private readonly IReadOnlyList<PartitionReply<T>> _replies;

    internal ScatterResult(IReadOnlyList<PartitionReply<T>> replies) => _replies = replies;

    /// <summary>True when every queried partition answered.</summary>
    public bool AllSucceeded => _replies.All(static r => r.Succeeded);

    /// <summary>The answers of the partitions that succeeded, in partition order.</summary>
    public IReadOnlyList<T> Values => [.. _replies.Where(static r => r.Succeeded).Select(static r => r.Value!)];

    /// <summary>The replies of the partitions that failed.</summary>
    public IReadOnlyList<PartitionReply<T>> Failures => [.. _replies.Where(static r => !r.Succeeded)];

    /// <inheritdoc />
    public int Count => _replies.Count;

    /// <inheritdoc />
    public PartitionReply<T> this[int index] => _replies[index];

    /// <inheritdoc />
    public IEnumerator<PartitionReply<T>> GetEnumerator() => _replies.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
