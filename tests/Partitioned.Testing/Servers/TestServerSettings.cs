namespace Partitioned.Testing;

/// <summary>Faults a <see cref="RowsServer"/> injects on purpose. Travels as JSON, so worker processes get it too.</summary>
public sealed record TestServerSettings
{
    /// <summary>Partitions whose initialisation throws (while their attempt is below <see cref="FailInitBelowAttempt"/>).</summary>
    public int[] FailInitPartitions { get; init; } = [];

    /// <summary>Initialisation of a partition in <see cref="FailInitPartitions"/> throws for attempts below this; <see cref="int.MaxValue"/> for always.</summary>
    public int FailInitBelowAttempt { get; init; } = int.MaxValue;

    /// <summary>Partitions whose initialisation never finishes.</summary>
    public int[] HangInitPartitions { get; init; } = [];

    /// <summary>
    /// Partitions whose initialisation crashes the whole process: a line on stderr, then an unhandled exception on
    /// a thread (the runtime aborts). Only for process-runner tests: in-process it would take the test host down.
    /// </summary>
    public int[] CrashInitPartitions { get; init; } = [];

    /// <summary>Partitions whose initialisation blocks its thread forever and ignores cancellation (code a worker must be killed out of).</summary>
    public int[] BlockInitPartitions { get; init; } = [];

    /// <summary>
    /// Partitions whose worker process does not exit after handing back its results (a foreground thread keeps it
    /// alive), like a worker slow to exit on an overloaded machine. Only for worker-process tests.
    /// </summary>
    public int[] LingerAfterResultsPartitions { get; init; } = [];

    /// <summary>Write noise to stdout and stderr during initialisation and at every request (for worker output tests).</summary>
    public bool Noisy { get; init; }

    /// <summary>
    /// Before an initialisation in <see cref="FailInitPartitions"/> throws, write text to standard output without ending
    /// the line (as a progress indicator does), so the next line written there is glued to it.
    /// </summary>
    public bool UnfinishedLineOnFailure { get; init; }
}
