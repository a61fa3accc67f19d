namespace Partitioned.Directories;

/// <summary>What happened to a partition in a <see cref="PartitionChange"/>.</summary>
public enum PartitionChangeKind
{
    /// <summary>A partition registered for the first time in this run.</summary>
    Registered,

    /// <summary>A newer attempt (or a new endpoint) replaced an earlier registration.</summary>
    Replaced,

    /// <summary>A lost or suspected attempt answers health checks again.</summary>
    Recovered,

    /// <summary>An attempt reported an error (for example, its initialisation threw).</summary>
    ErrorReported,

    /// <summary>The serving attempt died or stopped answering health checks.</summary>
    Lost,

    /// <summary>The partition gave up after its last allowed attempt.</summary>
    Failed,

    /// <summary>The partition was shut down with the cluster.</summary>
    Stopped,

    /// <summary>
    /// A serving attempt failed a health check: it stays serving, but routers send it nothing new while another replica
    /// serves, and requests it holds for idempotent services go elsewhere. Recovered or Lost follows.
    /// </summary>
    Suspected,

    /// <summary>
    /// Autoscaling opened a retired replica slot for a new replica of a busy partition: the replica is
    /// <see cref="PartitionState.Pending"/> until its attempt initialised and registered (then Registered or Replaced follows).
    /// </summary>
    ScaledUp,

    /// <summary>
    /// Autoscaling took a serving replica out of routing (it is <see cref="PartitionState.Retired"/> from this version on):
    /// once routers have this version (or a bounded time passed) it drains what it holds and stops.
    /// </summary>
    Retiring,
}
