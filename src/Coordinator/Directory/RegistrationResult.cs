namespace Partitioned.Coordination;

/// <summary>The outcome of <see cref="PartitionDirectory.Register"/>. Refusals are data, not exceptions.</summary>
public enum RegistrationResult
{
    /// <summary>The partition is now serving at the given endpoint.</summary>
    Accepted,

    /// <summary>The same attempt registered the same endpoint again; nothing changed.</summary>
    AlreadyRegistered,

    /// <summary>The partition index is outside the cluster's range.</summary>
    UnknownPartition,

    /// <summary>A newer attempt of the partition is already known; this one is stale.</summary>
    StaleAttempt,

    /// <summary>The partition is failed or stopped and takes no more registrations in this run.</summary>
    Closed,

    /// <summary>The driver never launched or assigned this attempt (it is higher than the partition's current one); it is fenced off.</summary>
    NotLaunched,
}
