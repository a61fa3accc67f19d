namespace Partitioned.Routing;

/// <summary>One serving replica a request can go to: its partition, replica index, attempt and endpoint.</summary>
internal readonly record struct ReplicaTarget(int Partition, int Replica, int Attempt, Uri Endpoint)
{
    /// <summary>The replica's slot in per-replica arrays: partition times the replica count, plus the replica.</summary>
    public int Slot(int replicas) => (Partition * replicas) + Replica;
}
