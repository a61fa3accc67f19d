namespace Partitioned.Directories;

/// <summary>Where a partition stands in the coordinator's directory.</summary>
public enum PartitionState
{
    /// <summary>No attempt has registered yet (an attempt may be starting, or may have failed and be re-launched).</summary>
    Pending,

    /// <summary>An attempt registered and is answering; its endpoint is live.</summary>
    Serving,

    /// <summary>The serving attempt died or stopped answering health checks; a re-launch may replace it.</summary>
    Lost,

    /// <summary>Every allowed attempt failed; the partition will not come back in this run.</summary>
    Failed,

    /// <summary>The partition was shut down as part of stopping the cluster.</summary>
    Stopped,

    /// <summary>
    /// Autoscaling took the replica out of its partition (<see cref="PartitionChangeKind.Retiring"/>), or has not started
    /// it: routers send it nothing. An attempt it still runs drains what it holds and stops. The slot may serve again
    /// after a <see cref="PartitionChangeKind.ScaledUp"/>.
    /// </summary>
    Retired,
}
