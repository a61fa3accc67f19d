using System.Collections.Concurrent;
using System.Globalization;

namespace Partitioned.Clustering;

/// <summary>
/// A runner's executor pools, one per cluster run (a runner may serve several clusters at once): made when the run's first
/// attempt comes, sized then for the run's partitions and replicas, and dropped once it holds no executor and no attempt.
/// </summary>
internal sealed class ExecutorPools(IWorkerEngine engine, WorkerOptions options, WorkerCommand command, string loggerCategory)
{
    private readonly ConcurrentDictionary<string, Lazy<Task<ExecutorPool>>> _pools = new(StringComparer.Ordinal);

    // Executor ids are unique for the runner's life, so a pool made again for the same run never repeats one.
    private long _nextId;

    /// <summary>The pool of a cluster run, if it has one now (for tests and benchmarks).</summary>
    public ExecutorPool? Find(string clusterId) =>
        _pools.TryGetValue(clusterId, out var pool) && pool.Value.IsCompletedSuccessfully ? pool.Value.Result : null;

    public async Task<IReadOnlyList<TResult>> RunAttemptAsync<TRow, TResult>(PartitionAttempt<TRow, TResult> attempt, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(attempt);
        cancellationToken.ThrowIfCancellationRequested();
        var clusterId = attempt.Launch.ClusterId;
        while (true)
        {
            var lazy = _pools.GetOrAdd(clusterId, _ => new Lazy<Task<ExecutorPool>>(() => CreateAsync(attempt)));
            ExecutorPool pool;
            try
            {
                pool = await lazy.Value.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
            {
                // Sizing failed (Slurm could not list its nodes): the next attempt tries again.
                _pools.TryRemove(KeyValuePair.Create(clusterId, lazy));
                throw new WorkerProcessException(attempt.Launch.Partition, attempt.Launch.Attempt, exitCode: null, $"could not size its executors: {ex.Message}", [], ex);
            }

            try
            {
                if (await pool.RunAttemptAsync(attempt, cancellationToken).ConfigureAwait(false) is { } results)
                {
                    return results;
                }
            }
            finally
            {
                if (pool.TryRetire())
                {
                    _pools.TryRemove(KeyValuePair.Create(clusterId, lazy));
                }
            }

            // The pool was retired between lookup and placement: the run goes on with a new one.
            _pools.TryRemove(KeyValuePair.Create(clusterId, lazy));
        }
    }

    private async Task<ExecutorPool> CreateAsync<TRow, TResult>(PartitionAttempt<TRow, TResult> attempt)
    {
        var sizing = await engine.SizeExecutorsAsync(attempt.Launch.PartitionCount * attempt.Replicas, attempt.Replicas, CancellationToken.None).ConfigureAwait(false);
        return new ExecutorPool(engine, options, command, sizing, loggerCategory, () => "e" + Interlocked.Increment(ref _nextId).ToString(CultureInfo.InvariantCulture));
    }
}
