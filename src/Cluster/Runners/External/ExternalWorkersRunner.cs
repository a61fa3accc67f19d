using System.Collections.Concurrent;
using Partitioned.Server;

namespace Partitioned.Clustering;

/// <summary>
/// A runner that launches nothing: an engine launches the workers itself (a Slurm job array, a Kubernetes Indexed
/// Job, systemd units, ssh), and the cluster supervises the attempts they run. Each worker asks the coordinator for
/// its attempt number, so the engine's own retries (a Slurm requeue, a replacement pod) become the partition's next
/// attempts, and an attempt the coordinator did not assign is fenced off.
/// </summary>
/// <remarks>
/// The launch callback runs once per cluster run, as soon as the coordinator listens, with what the engine needs
/// (<see cref="EngineLaunch"/>). An attempt succeeds when its worker posted its results (after the cluster's graceful
/// stop); it fails when the coordinator marks it lost, when its worker reports a failure, or when the engine starts
/// another worker for the partition. The cluster cannot kill engine-launched workers: a worker whose attempt is no
/// longer current, or whose coordinator is gone, stops by itself (see the worker protocol's token-file mode).
/// <para>
/// An engine's task may also be an executor hosting several attempts (<c>PARTITIONED_EXECUTOR</c>): it asks the
/// coordinator for attempts every few seconds and is assigned the ones no worker took (see
/// docs/running-on-a-cluster.md, "Executors an engine launches"); a retry of the same executor replaces the first.
/// </para>
/// </remarks>
public sealed class ExternalWorkersRunner : IPartitionRunner
{
    private readonly Func<EngineLaunch, CancellationToken, Task> _launch;
    private readonly ConcurrentDictionary<string, Lazy<Task>> _launches = new(StringComparer.Ordinal);

    /// <summary>Creates the runner.</summary>
    /// <param name="launch">Launches the workers of a cluster run (for example: write the token file, then run <c>sbatch --array</c>).</param>
    /// <param name="workersOnOtherHosts">True (default) when the workers run on other machines, so the cluster refuses loopback addresses at start.</param>
    public ExternalWorkersRunner(Func<EngineLaunch, CancellationToken, Task> launch, bool workersOnOtherHosts = true)
    {
        ArgumentNullException.ThrowIfNull(launch);
        _launch = launch;
        PartitionsRunElsewhere = workersOnOtherHosts;
    }

    /// <inheritdoc />
    public string Name => "external";

    /// <inheritdoc />
    public bool PartitionsRunElsewhere { get; }

    /// <inheritdoc />
    /// <exception cref="PartitionAttemptException">The engine launch failed, or the attempt was lost or replaced.</exception>
    public async Task<IReadOnlyList<TResult>> RunAttemptAsync<TRow, TResult>(PartitionAttempt<TRow, TResult> attempt, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(attempt);
        var launch = attempt.Launch;
        var engine = _launches.GetOrAdd(launch.ClusterId, _ => new Lazy<Task>(() => _launch(
            new EngineLaunch(launch.ClusterId, launch.Coordinator, launch.PartitionCount, attempt.Server.Name, launch.Token, launch.Tls?.TrustedAuthorities), CancellationToken.None)));
        try
        {
            await engine.Value.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw new PartitionAttemptException($"launching the workers through the engine failed: {PartitionAttemptException.Describe(ex)}", ex);
        }

        var abandoned = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var onAbandon = cancellationToken.Register(() => abandoned.TrySetResult());
        var first = await Task.WhenAny(attempt.PostedResults, attempt.Lost, abandoned.Task).ConfigureAwait(false);
        if (first == attempt.PostedResults)
        {
            return await attempt.PostedResults.ConfigureAwait(false);
        }

        cancellationToken.ThrowIfCancellationRequested();
        throw new PartitionAttemptException($"attempt {launch.Attempt} of partition {launch.Partition} ended without results: {await attempt.Lost.ConfigureAwait(false)}");
    }
}
