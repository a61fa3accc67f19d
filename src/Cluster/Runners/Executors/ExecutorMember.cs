namespace Partitioned.Clustering;

/// <summary>One partition attempt placed in an executor: its slot, and how it ended there.</summary>
internal sealed class ExecutorMember(int partition, int attempt, int replica, IPlacementSink placement)
{
    private readonly TaskCompletionSource<MemberEnd> _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public int Partition { get; } = partition;

    public int Attempt { get; } = attempt;

    public int Replica { get; } = replica;

    /// <summary>Where the attempt learns its node, once its executor's is known.</summary>
    public IPlacementSink Placement { get; } = placement;

    /// <summary>Completes when the executor said the attempt ended, or the executor itself is gone.</summary>
    public Task<MemberEnd> Ended => _ended.Task;

    /// <summary>True once the runner is done with the attempt (its <c>RunAttemptAsync</c> returned). Under the pool's lock.</summary>
    public bool Released { get; set; }

    /// <summary>True once the coordinator marked the attempt lost. Under the pool's lock.</summary>
    public bool Lost { get; set; }

    public bool End(MemberEnd end) => _ended.TrySetResult(end);
}

/// <summary>How an attempt in an executor ended.</summary>
/// <param name="Code">The attempt's code (a worker exit code), or the executor's exit code when <paramref name="ExecutorGone"/>.</param>
/// <param name="Reason">Why, in words (empty when it succeeded).</param>
/// <param name="ExecutorGone">True when the executor process ended (or never started) before the attempt did.</param>
internal sealed record MemberEnd(int Code, string Reason, bool ExecutorGone);
