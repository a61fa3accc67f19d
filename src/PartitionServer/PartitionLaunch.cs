using Partitioned.Security;

namespace Partitioned.Server;

/// <summary>Everything a partition attempt needs to know to start: who it is and where the coordinator is.</summary>
/// <param name="ClusterId">The cluster run.</param>
/// <param name="Partition">The partition index.</param>
/// <param name="Attempt">The attempt number, 0 for the first launch.</param>
/// <param name="PartitionCount">How many partitions the cluster has.</param>
/// <param name="Coordinator">The coordinator's address.</param>
/// <param name="Token">The cluster token (its <c>ToString</c> is redacted, so this record can be logged).</param>
public sealed record PartitionLaunch(string ClusterId, int Partition, int Attempt, int PartitionCount, Uri Coordinator, ClusterToken Token)
{
    /// <summary>How the server listens, registers and stops.</summary>
    public PartitionServerOptions Server { get; init; } = new();

    /// <summary>Which replica of the partition this attempt serves: 0 to the cluster's replica count minus 1.</summary>
    public int Replica { get; init; }

    /// <summary>The node (machine) name the attempt reports when it registers. Default: this machine's name.</summary>
    public string? Node { get; init; }

    /// <summary>How the attempt uses TLS: what it trusts and where its certificate comes from. Null (default): cleartext.</summary>
    public PartitionTls? Tls { get; init; }

    /// <summary>The executor this attempt runs in (it registers with the executor's id, and its health lists its fellow members); null for a process of its own.</summary>
    internal ExecutorMembers? Executor { get; init; }
}
