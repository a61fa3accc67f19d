namespace Partitioned.Protocol;

/// <summary>One live partition server: where to reach it and which attempt it is.</summary>
/// <param name="Partition">The partition index.</param>
/// <param name="Attempt">The attempt serving it.</param>
/// <param name="Endpoint">The server's base address.</param>
/// <param name="Node">The node (machine) it runs on, as it said when it registered, or null.</param>
public sealed record HostEntry(int Partition, int Attempt, string Endpoint, string? Node = null);
