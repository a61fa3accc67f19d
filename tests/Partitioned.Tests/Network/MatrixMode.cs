namespace Partitioned.Tests.Network;

/// <summary>The serving setups of the feature-interaction matrix.</summary>
public enum MatrixMode
{
    /// <summary>Distributed mode, 2 replicas per partition, an idempotent service.</summary>
    DistributedTwoIdempotentReplicas,

    /// <summary>Distributed mode, 1 replica per partition, a service that is not idempotent.</summary>
    DistributedOneReplica,

    /// <summary>Head-node mode, 1 replica per partition.</summary>
    HeadNodeOneReplica,

    /// <summary>Head-node mode, 2 replicas per partition.</summary>
    HeadNodeTwoReplicas,
}

/// <summary>The faults of the feature-interaction matrix.</summary>
public enum MatrixFault
{
    /// <summary>One worker process killed with SIGKILL.</summary>
    WorkerKilled,

    /// <summary>A whole node killed: its slurmd, step daemons and tasks at once.</summary>
    NodeKilled,

    /// <summary>A node cut off the network (its link down: packets dropped, no reset), then healed.</summary>
    NodeCut,

    /// <summary>A rolling update to a new version.</summary>
    RollingUpdate,

    /// <summary>The cluster stopped while a rolling update is under way.</summary>
    StopDuringUpdate,
}
