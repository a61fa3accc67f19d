using System.Text.Json;

namespace Partitioned.Protocol;

/// <summary>
/// Reply of <c>GET /v1/attempts/{partition}/{attempt}</c>: everything a worker process needs to run one partition
/// attempt, besides its rows (<c>GET .../rows</c>) and the token (which it read from its standard input).
/// </summary>
/// <param name="ClusterId">The cluster run.</param>
/// <param name="Partition">The partition index.</param>
/// <param name="Attempt">The attempt number.</param>
/// <param name="PartitionCount">How many partitions the cluster has.</param>
/// <param name="Server">The name of the server definition to run.</param>
/// <param name="Settings">The server's settings as JSON, or null when it takes none.</param>
/// <param name="ServerOptions">How the server listens, registers and drains.</param>
public sealed record AttemptLaunchResponse(
    string ClusterId,
    int Partition,
    int Attempt,
    int PartitionCount,
    string Server,
    JsonElement? Settings,
    AttemptServerOptions ServerOptions)
{
    /// <summary>Which replica of the partition the attempt serves (0 when the cluster runs one replica per partition).</summary>
    public int Replica { get; init; }

    /// <summary>How the partition server gets its TLS certificate; null in cleartext.</summary>
    public AttemptTlsOptions? Tls { get; init; }
}
