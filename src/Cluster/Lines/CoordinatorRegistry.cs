using Partitioned.Coordination;

namespace Partitioned.Clustering;

/// <summary>The cluster's coordinator, as the attempt lines use it.</summary>
internal sealed class CoordinatorRegistry(Coordinator coordinator) : IAttemptRegistry
{
    public Uri Address => coordinator.Address;

    public PartitionDirectory Directory => coordinator.Directory;

    public bool AdmitAttempt(int partition, int replica, int attempt, int version) => coordinator.AdmitAttempt(partition, replica, attempt, version);

    public bool ReinstateAttempt(int partition, int replica, int attempt, int version) => coordinator.ReinstateAttempt(partition, replica, attempt, version);

    public bool ReportError(int partition, int attempt, string message) => coordinator.ReportError(partition, attempt, message);

    public bool MarkReplicaFailed(int partition, int replica, string reason) => coordinator.MarkReplicaFailed(partition, replica, reason);
}
