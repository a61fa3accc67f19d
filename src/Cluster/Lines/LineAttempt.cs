namespace Partitioned.Clustering;

/// <summary>One attempt on a replica's line: what its runner runs, and (during a rolling update) the attempt coming in to replace it.</summary>
internal sealed class LineAttempt<TRow, TResult>(PartitionAttempt<TRow, TResult> attempt, CancellationTokenSource cancellation, ServerVersion<TRow, TResult> version, DateTimeOffset started)
{
    public PartitionAttempt<TRow, TResult> Attempt { get; } = attempt;

    /// <summary>The attempt number (unique per partition across its replicas).</summary>
    public int Number => Attempt.Launch.Attempt;

    /// <summary>Abandons the attempt: its runner stops it without results.</summary>
    public CancellationTokenSource Cancellation { get; } = cancellation;

    public ServerVersion<TRow, TResult> Version { get; } = version;

    public DateTimeOffset Started { get; } = started;

    /// <summary>The runner's task: the attempt's results, or why it failed.</summary>
    public Task<IReadOnlyList<TResult>> Task { get; set; } = null!;

    /// <summary>A rolling update's new attempt for the same replica, while it starts next to this one. Under the lines' gate.</summary>
    public LineAttempt<TRow, TResult>? Incoming { get; set; }

    /// <summary>
    /// True while this is a rolling update's new attempt that its line adopted (the old one died) and the rollout has
    /// not yet seen serve: if it ends, the replica is re-launched with the version before the update.
    /// </summary>
    public bool Adopted { get; set; }

    /// <summary>Why a rolling update gave up on this attempt after its line had adopted it, or null.</summary>
    public string? GivenUp { get; set; }
}
