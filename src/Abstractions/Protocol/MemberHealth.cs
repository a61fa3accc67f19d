namespace Partitioned.Protocol;

/// <summary>One attempt an executor hosts, as a member's <c>GET /control/health</c> lists it (<see cref="PartitionHealth.Members"/>).</summary>
/// <param name="Partition">The partition index.</param>
/// <param name="Attempt">The attempt number.</param>
/// <param name="State">initializing, serving, stopping or stopped.</param>
public sealed record MemberHealth(int Partition, int Attempt, string State);
