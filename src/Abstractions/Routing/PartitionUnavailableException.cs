using Partitioned.Directories;

namespace Partitioned.Routing;

/// <summary>A request was addressed to a partition that has no live endpoint (it is lost, failed, stopped or not yet registered).</summary>
public sealed class PartitionUnavailableException : PartitionedException
{
    /// <summary>Creates the exception.</summary>
    public PartitionUnavailableException(int partition, PartitionState state, string? lastError)
        : base($"Partition {partition} has no live endpoint: it is {state.ToString().ToLowerInvariant()}{(lastError is null ? "." : $" (last error: {lastError}).")}")
    {
        Partition = partition;
        State = state;
    }

    /// <summary>The partition.</summary>
    public int Partition { get; }

    /// <summary>The partition's state when the request was made.</summary>
    public PartitionState State { get; }
}
