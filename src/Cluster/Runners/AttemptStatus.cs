namespace Partitioned.Clustering;

/// <summary>How a partition attempt ended.</summary>
public enum AttemptStatus
{
    /// <summary>
    /// The server stopped after a shutdown and produced its results. That includes a server a rolling update replaced
    /// and drained, whose results are not used (its successor's are).
    /// </summary>
    Succeeded,

    /// <summary>The attempt failed (initialisation threw, the process crashed, registration was refused...).</summary>
    Failed,

    /// <summary>The cluster abandoned the attempt (start failed or stop timed out).</summary>
    Abandoned,
}
