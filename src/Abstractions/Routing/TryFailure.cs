namespace Partitioned.Routing;

/// <summary>Why a request routed by <see cref="ResendLoop"/> got no answer from a replica.</summary>
internal enum TryFailure
{
    /// <summary>No replica serves (or every one was tried).</summary>
    NoReplica,

    /// <summary>No connection could be made: nothing was sent.</summary>
    NotSent,

    /// <summary>The coordinator declared the replica lost (or it ended) while the request was under way.</summary>
    ReplicaLost,

    /// <summary>The coordinator suspects the replica (a health check failed) while an idempotent request was under way.</summary>
    ReplicaSuspected,

    /// <summary>An idempotent request took longer than its service's observed latency allows for one try.</summary>
    TryTimedOut,

    /// <summary>The connection broke after the request was sent, before an answer.</summary>
    Broken,

    /// <summary>The request's deadline passed.</summary>
    DeadlinePassed,
}
