namespace Partitioned.Testing;

/// <summary>What <c>GET /app/info</c> of a <see cref="RowsServer"/> answers.</summary>
public sealed record ServerInfo(string ClusterId, int Partition, int Attempt, int Rows, int ProcessId, string? Node = null);
