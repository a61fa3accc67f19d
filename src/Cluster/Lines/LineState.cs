namespace Partitioned.Clustering;

/// <summary>Where a replica's line of attempts stands (<see cref="ReplicaLine{TRow, TResult}.State"/>).</summary>
internal enum LineState
{
    /// <summary>Its current attempt was launched and has not registered yet.</summary>
    Launched,

    /// <summary>Its current attempt registered and serves.</summary>
    Serving,

    /// <summary>Its current attempt serves but failed a health check: routers send it nothing new while another replica serves.</summary>
    Suspected,

    /// <summary>Its current attempt was declared lost: it is being ended, and the line re-launches it.</summary>
    Lost,

    /// <summary>Its last attempt failed: the line waits out the backoff before it launches the next one.</summary>
    Relaunching,

    /// <summary>The line is over: its attempt handed back results, it failed <see cref="ClusterOptions.MaxAttempts"/> times, or it was abandoned.</summary>
    Ended,
}
