using Partitioned.Clustering;

namespace Partitioned.Tests.Cluster;

/// <summary>
/// Wraps a runner and counts its attempts: how many it started and how many are still running (their
/// <see cref="IPartitionRunner.RunAttemptAsync"/> has not returned), so a test can tell that no attempt outlives a stop,
/// whatever the runner.
/// </summary>
internal sealed class AttemptCountingRunner(IPartitionRunner inner) : IPartitionRunner
{
    private int _started;
    private int _running;

    public string Name => inner.Name;

    public bool PartitionsRunElsewhere => inner.PartitionsRunElsewhere;

    public int Started => Volatile.Read(ref _started);

    public int Running => Volatile.Read(ref _running);

    public async Task<IReadOnlyList<TResult>> RunAttemptAsync<TRow, TResult>(PartitionAttempt<TRow, TResult> attempt, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _running);
        Interlocked.Increment(ref _started);
        try
        {
            return await inner.RunAttemptAsync(attempt, cancellationToken);
        }
        finally
        {
            Interlocked.Decrement(ref _running);
        }
    }
}
