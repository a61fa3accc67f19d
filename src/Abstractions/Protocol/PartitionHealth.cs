namespace Partitioned.Protocol;

/// <summary>Reply of a partition server's <c>GET /control/health</c>.</summary>
/// <param name="State">initializing, serving, stopping or stopped.</param>
/// <param name="ClusterId">The cluster run this server belongs to.</param>
/// <param name="Partition">The partition index.</param>
/// <param name="Attempt">The attempt number.</param>
/// <param name="Rows">How many rows of its partition the server has read.</param>
/// <param name="InFlight">Requests being processed now.</param>
public sealed record PartitionHealth(string State, string ClusterId, int Partition, int Attempt, long Rows, int InFlight)
{
    /// <summary>The executor (a worker process hosting several attempts) this attempt runs in, or null for a process or host of its own.</summary>
    public string? Executor { get; init; }

    /// <summary>
    /// In an executor: every attempt the executor hosts now, this one included, with its state. The coordinator checks
    /// one member per executor and learns every member's state from its answer. Null outside an executor.
    /// </summary>
    public IReadOnlyList<MemberHealth>? Members { get; init; }
}
