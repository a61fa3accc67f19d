#if PARTITIONED_CLIENT
namespace Partitioned.Client;
#else
namespace Partitioned.Coordination;
#endif

/// <summary>One partition in a <see cref="DirectorySnapshot"/>. Immutable.</summary>
/// <param name="Partition">The partition index.</param>
/// <param name="State">The partition's state.</param>
/// <param name="Attempt">The latest attempt the coordinator heard of (registered or reported), or -1 before any.</param>
/// <param name="Endpoint">The last registered address; live only while <see cref="State"/> is <see cref="PartitionState.Serving"/>.</param>
/// <param name="LastError">The last error reported for the partition, or null.</param>
/// <param name="Since">When the partition entered its current state.</param>
public sealed record PartitionEntry(int Partition, PartitionState State, int Attempt, Uri? Endpoint, string? LastError, DateTimeOffset Since)
{
    /// <summary>The node (machine) the registered attempt runs on, as it said when it registered, or null.</summary>
    public string? Node { get; init; }

    /// <summary>The endpoint when it is live, otherwise null.</summary>
    public Uri? LiveEndpoint => State == PartitionState.Serving ? Endpoint : null;
}
