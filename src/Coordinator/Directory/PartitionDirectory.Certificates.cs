using Partitioned.Directories;

namespace Partitioned.Coordination;

public sealed partial class PartitionDirectory
{
    /// <summary>
    /// True when <paramref name="attempt"/> may get a TLS certificate (automatic mode): it is the attempt the driver
    /// admitted for its replica (or, on a coordinator whose driver admits nothing, no older than the replica's), and
    /// neither the partition nor the replica is closed. A stale attempt, one nobody launched, or one of a stopped cluster
    /// gets none, by the same rules that fence its registration; a serving attempt renewing its certificate still may.
    /// </summary>
    internal bool MayHoldCertificate(int partition, int attempt)
    {
        lock (_gate)
        {
            if ((uint)partition >= (uint)_current.PartitionCount || attempt < 0)
            {
                return false;
            }

            var entry = _current[partition];
            var replicaIndex = _admissions.ReplicaOf(partition, attempt);
            if (replicaIndex < 0 || entry.State is PartitionState.Failed or PartitionState.Stopped)
            {
                return false;
            }

            var replica = entry.Replicas[replicaIndex];
            var admitted = _admissions.Of(partition, replicaIndex);
            return replica.State is not (PartitionState.Failed or PartitionState.Stopped)
                && (admitted >= 0 ? attempt == admitted : attempt >= replica.Attempt);
        }
    }
}
