using Partitioned.Coordination;

namespace Partitioned.Clustering;

/// <summary>
/// The coordinator as the attempt lines use it: where attempts register, the directory the lines watch, and the
/// driver's word on attempts. The cluster's <see cref="Coordinator"/> (<see cref="CoordinatorRegistry"/>), or a bare
/// directory in tests.
/// </summary>
internal interface IAttemptRegistry
{
    /// <summary>The coordinator's address, which every attempt is launched with.</summary>
    Uri Address { get; }

    PartitionDirectory Directory { get; }

    /// <summary>From now on only <paramref name="attempt"/> may register for the replica (<see cref="Coordinator.AdmitAttempt(int, int, int, int)"/>).</summary>
    bool AdmitAttempt(int partition, int replica, int attempt, int version);

    /// <summary>An older attempt takes its replica's place again (its successor was given up before it registered).</summary>
    bool ReinstateAttempt(int partition, int replica, int attempt, int version);

    /// <summary>An attempt failed; a serving one becomes lost.</summary>
    bool ReportError(int partition, int attempt, string message);

    /// <summary>The replica failed for good; the partition serves on while another replica does.</summary>
    bool MarkReplicaFailed(int partition, int replica, string reason);
}
