using Microsoft.Extensions.Diagnostics.HealthChecks;
using Partitioned.Clustering;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Reports a partitioned cluster in the host's health checks.</summary>
public static class PartitionedClusterHealthChecksBuilderExtensions
{
    /// <summary>
    /// Adds a health check of the registered <see cref="Cluster{TRow, TResult}"/>: Healthy when every partition serves,
    /// Degraded while some are lost or re-launching, Unhealthy (or <paramref name="failureStatus"/>) when a partition
    /// failed for good or the cluster does not run. Its data counts partitions by state.
    /// </summary>
    public static IHealthChecksBuilder AddPartitionedCluster<TRow, TResult>(
        this IHealthChecksBuilder builder, string name = "partitioned-cluster", HealthStatus? failureStatus = null, IEnumerable<string>? tags = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrEmpty(name);
        return builder.Add(new HealthCheckRegistration(
            name,
            static provider => new ClusterHealthCheck<TRow, TResult>(provider.GetRequiredService<Cluster<TRow, TResult>>()),
            failureStatus ?? HealthStatus.Unhealthy,
            tags));
    }
}
