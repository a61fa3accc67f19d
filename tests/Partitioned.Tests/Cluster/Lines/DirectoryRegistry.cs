using Partitioned.Clustering;
using Partitioned.Coordination;

namespace Partitioned.Tests.Cluster.Lines;

/// <summary>A bare directory as the attempt lines' coordinator: no server, no health checks, the test's clock.</summary>
internal sealed class DirectoryRegistry(PartitionDirectory directory) : IAttemptRegistry
{
    public Uri Address { get; } = new("http://127.0.0.1:1/");

    public PartitionDirectory Directory => directory;

    public bool AdmitAttempt(int partition, int replica, int attempt, int version) => directory.Admit(partition, replica, attempt, version);

    public bool ReinstateAttempt(int partition, int replica, int attempt, int version) => directory.Admit(partition, replica, attempt, version, reinstate: true);

    public bool ReportError(int partition, int attempt, string message) => directory.ReportError(partition, attempt, message);

    public bool MarkReplicaFailed(int partition, int replica, string reason) => directory.MarkFailed(partition, replica, reason);
}
