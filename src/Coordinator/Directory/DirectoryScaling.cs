using Partitioned.Directories;

namespace Partitioned.Coordination;

/// <summary>
/// The directory's two autoscaling changes: a replica slot retired (out of routing) or reopened (for a new replica).
/// Kept beside <see cref="PartitionDirectory"/> so its own rules stay in one place and this stays additive.
/// </summary>
internal static class DirectoryScaling
{
    /// <summary>
    /// Takes a replica out of its partition (<see cref="PartitionChangeKind.Retiring"/>): it is <see cref="PartitionState.Retired"/>
    /// from then on, so no router picks it and a registration of it is refused as closed. Its endpoint stays, so the driver
    /// can drain it.
    /// </summary>
    /// <returns>False when it was retired, stopped or failed already.</returns>
    public static bool Retire(this PartitionDirectory directory, int partition, int replica, string reason) =>
        directory.UpdateAll(partition, replica, PartitionChangeKind.Retiring, entry =>
            entry.State is PartitionState.Retired or PartitionState.Stopped or PartitionState.Failed ? null
            : entry with { State = PartitionState.Retired, Suspected = false, LastError = reason, Since = directory.Time.GetUtcNow() });

    /// <summary>
    /// Opens a retired slot for a new replica (<see cref="PartitionChangeKind.ScaledUp"/>): pending until the attempt the
    /// driver admits for it next registers.
    /// </summary>
    /// <returns>False when the slot was not retired.</returns>
    public static bool Reopen(this PartitionDirectory directory, int partition, int replica, string reason) =>
        directory.UpdateAll(partition, replica, PartitionChangeKind.ScaledUp, entry =>
            entry.State != PartitionState.Retired ? null
            : entry with { State = PartitionState.Pending, Suspected = false, Endpoint = null, LastError = reason, Since = directory.Time.GetUtcNow() });
}
