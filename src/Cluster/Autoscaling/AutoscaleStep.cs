namespace Partitioned.Clustering;

/// <summary>What <see cref="AutoscalePolicy"/> decided for a partition at the end of a window.</summary>
internal enum AutoscaleStep
{
    /// <summary>Keep the replicas as they are.</summary>
    None,

    /// <summary>Start one more replica.</summary>
    Up,

    /// <summary>Retire one replica (drained first).</summary>
    Down,
}
