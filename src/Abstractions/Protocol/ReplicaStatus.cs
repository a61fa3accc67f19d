namespace Partitioned.Protocol;

/// <summary>One replica of a partition in <see cref="PartitionStatus.Replicas"/>.</summary>
/// <param name="Replica">The replica index.</param>
/// <param name="State">pending, serving, lost, failed or stopped.</param>
/// <param name="Attempt">The replica's latest attempt, or null before any.</param>
/// <param name="Endpoint">The replica's last registered address, or null.</param>
/// <param name="LastError">The replica's last error, or null.</param>
/// <param name="Node">The node (machine) its registered attempt runs on, or null.</param>
/// <param name="Version">The version of the server definition it runs (0 until a rolling update).</param>
public sealed record ReplicaStatus(int Replica, string State, int? Attempt, string? Endpoint, string? LastError, string? Node, int Version)
{
    /// <summary>True while it serves but its last health check failed (routers prefer its siblings).</summary>
    public bool Suspected { get; init; }

    /// <summary>The labels its registered attempt announced, or null when none.</summary>
    public IReadOnlyDictionary<string, string>? Labels { get; init; }
}
