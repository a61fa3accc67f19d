using Partitioned.Directories;

namespace Partitioned.Coordination;

/// <summary>
/// The directory's health verdicts on a serving attempt: suspected (a check failed), lost (it stopped answering or its
/// process died) and recovered (it answered again). Each goes through the directory's own rules
/// (<see cref="PartitionDirectory.Update"/>): a verdict on a stale or never-launched attempt changes nothing.
/// </summary>
internal static class HealthVerdicts
{
    /// <summary>Marks a serving attempt lost (its process died, or it stopped answering health checks).</summary>
    /// <returns>False when the replica was not serving that attempt.</returns>
    public static bool MarkLost(this PartitionDirectory directory, int partition, int attempt, string reason)
    {
        ArgumentException.ThrowIfNullOrEmpty(reason);
        return directory.Update(partition, attempt, PartitionChangeKind.Lost, replica =>
            replica.State == PartitionState.Serving && replica.Attempt == attempt
                ? replica with { State = PartitionState.Lost, Suspected = false, LastError = reason, Since = directory.Time.GetUtcNow() }
                : null);
    }

    /// <summary>
    /// Marks a serving attempt suspected (a health check failed): it keeps its place, but routers prefer its siblings
    /// until it answers again (<see cref="MarkRecovered"/>) or is marked lost.
    /// </summary>
    /// <returns>False when the replica was not serving that attempt, or was suspected already.</returns>
    public static bool MarkSuspected(this PartitionDirectory directory, int partition, int attempt, string reason)
    {
        ArgumentException.ThrowIfNullOrEmpty(reason);
        return directory.Update(partition, attempt, PartitionChangeKind.Suspected, replica =>
            replica.State == PartitionState.Serving && replica.Attempt == attempt && !replica.Suspected
                ? replica with { Suspected = true, LastError = reason }
                : null);
    }

    /// <summary>Marks a lost or suspected attempt healthy again after it answered a health check.</summary>
    /// <returns>False when the replica was neither lost nor suspected at that attempt.</returns>
    public static bool MarkRecovered(this PartitionDirectory directory, int partition, int attempt)
    {
        return directory.Update(partition, attempt, PartitionChangeKind.Recovered, replica =>
            replica.Attempt != attempt || replica.Endpoint is null ? null
            : replica.State == PartitionState.Lost ? replica with { State = PartitionState.Serving, Suspected = false, Since = directory.Time.GetUtcNow() }
            : replica.State == PartitionState.Serving && replica.Suspected ? replica with { Suspected = false }
            : null);
    }
}
