namespace Partitioned.Clustering;

/// <summary>Where a <see cref="Cluster{TRow, TResult}"/> is in its lifecycle.</summary>
public enum ClusterState
{
    /// <summary>Not running: never started, or stopped (it can be started again).</summary>
    Stopped,

    /// <summary><c>StartAsync</c> is launching partitions and waiting for them to register.</summary>
    Starting,

    /// <summary>Every partition registered; the cluster serves.</summary>
    Running,

    /// <summary><c>StopAsync</c> is shutting partitions down.</summary>
    Stopping,
}
