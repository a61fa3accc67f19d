namespace Partitioned.Clustering;

/// <summary>How one attempt of one partition ended.</summary>
/// <param name="Partition">The partition index.</param>
/// <param name="Attempt">The attempt number.</param>
/// <param name="Status">Succeeded, failed or abandoned.</param>
/// <param name="Error">Why it failed, or null.</param>
/// <param name="Exception">The exception the runner reported, or null.</param>
/// <param name="Started">When the attempt was launched.</param>
/// <param name="Ended">When it ended.</param>
public sealed record AttemptOutcome(int Partition, int Attempt, AttemptStatus Status, string? Error, Exception? Exception, DateTimeOffset Started, DateTimeOffset Ended)
{
    /// <summary>The node (machine) the attempt ran on, when the runner or the worker's registration told it; otherwise null.</summary>
    public string? Node { get; init; }

    /// <summary>Which replica of the partition the attempt served (0 with one replica per partition).</summary>
    public int Replica { get; init; }

    /// <summary>How long the attempt ran.</summary>
    public TimeSpan Duration => Ended - Started;
}
