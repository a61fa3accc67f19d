namespace Partitioned.Routing;

/// <summary>One partition's answer to a scatter-gather query: a value or an error.</summary>
/// <typeparam name="T">The answer type.</typeparam>
/// <param name="Partition">The partition.</param>
/// <param name="Value">The answer, when the partition succeeded.</param>
/// <param name="Error">Why it failed: the exception, a <see cref="TimeoutException"/>, or a <see cref="PartitionUnavailableException"/>.</param>
/// <param name="Elapsed">How long the partition took.</param>
public sealed record PartitionReply<T>(int Partition, T? Value, Exception? Error, TimeSpan Elapsed)
{
    /// <summary>True when the partition answered.</summary>
    public bool Succeeded => Error is null;
}
