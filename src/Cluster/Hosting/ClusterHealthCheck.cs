using Microsoft.Extensions.Diagnostics.HealthChecks;
using Partitioned.Directories;

namespace Partitioned.Clustering;

/// <summary>
/// The cluster in the host's health checks: Healthy when every partition serves; Degraded while some are lost or
/// being re-launched (the cluster heals them); Unhealthy when a partition failed for good, or the cluster is not running.
/// </summary>
internal sealed class ClusterHealthCheck<TRow, TResult>(Cluster<TRow, TResult> cluster) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (cluster.State != ClusterState.Running)
        {
            return Task.FromResult(new HealthCheckResult(context.Registration.FailureStatus, $"The cluster is {cluster.State.ToString().ToLowerInvariant()}."));
        }

        DirectorySnapshot snapshot;
        try
        {
            snapshot = cluster.Directory.Current;
        }
        catch (InvalidOperationException)
        {
            // It stopped between the two reads.
            return Task.FromResult(new HealthCheckResult(context.Registration.FailureStatus, "The cluster is stopped."));
        }

        var counts = snapshot.Partitions.GroupBy(static p => p.State).ToDictionary(static g => g.Key, static g => g.Count());
        var data = new Dictionary<string, object>(StringComparer.Ordinal)
        {
            ["partitions"] = snapshot.PartitionCount,
            ["version"] = snapshot.Version,
        };
        foreach (var (state, count) in counts)
        {
            data[state.ToString().ToLowerInvariant()] = count;
        }

        var failed = counts.GetValueOrDefault(PartitionState.Failed);
        var result = failed > 0
            ? new HealthCheckResult(context.Registration.FailureStatus, $"{failed} of {snapshot.PartitionCount} partitions failed for good.", data: data)
            : snapshot.IsComplete
                ? HealthCheckResult.Healthy($"All {snapshot.PartitionCount} partitions serve.", data)
                : HealthCheckResult.Degraded($"{snapshot.ServingCount} of {snapshot.PartitionCount} partitions serve; the others are lost or being re-launched.", data: data);
        return Task.FromResult(result);
    }
}
