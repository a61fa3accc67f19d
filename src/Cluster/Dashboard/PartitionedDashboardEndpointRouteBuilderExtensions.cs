using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Partitioned.Clustering;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Maps the live status page of a partitioned cluster.</summary>
public static class PartitionedDashboardEndpointRouteBuilderExtensions
{
    /// <summary>
    /// Maps the dashboard of the <see cref="Cluster{TRow, TResult}"/> registered with <c>AddPartitionedCluster</c> (or
    /// <c>AddPartitionedServing</c>) at <c>/dashboard</c>: every partition with its state, attempt, node,
    /// endpoint, last error and last seen, the latest attempts, and per service the request and error rates, latency
    /// percentiles and queued requests, updated live. Only loopback clients see it, unless
    /// <see cref="DashboardOptions.AccessKey"/> is set; the cluster token never reaches the browser.
    /// </summary>
    /// <returns>The route group, so filters or authorization can be added.</returns>
    public static RouteGroupBuilder MapPartitionedDashboard<TRow, TResult>(this IEndpointRouteBuilder endpoints) =>
        endpoints.MapPartitionedDashboard<TRow, TResult>("/dashboard", options: null);

    /// <summary>Maps the dashboard of the registered cluster at <paramref name="pattern"/>, with <paramref name="options"/> (see the first overload).</summary>
    /// <returns>The route group, so filters or authorization can be added.</returns>
    public static RouteGroupBuilder MapPartitionedDashboard<TRow, TResult>(this IEndpointRouteBuilder endpoints, string pattern, DashboardOptions? options)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        return endpoints.MapPartitionedDashboard(endpoints.ServiceProvider.GetRequiredService<Cluster<TRow, TResult>>(), pattern, options);
    }

    /// <summary>Maps the dashboard of <paramref name="cluster"/> at <c>/dashboard</c>, open to loopback clients only (see the first overload).</summary>
    /// <returns>The route group, so filters or authorization can be added.</returns>
    public static RouteGroupBuilder MapPartitionedDashboard<TRow, TResult>(this IEndpointRouteBuilder endpoints, Cluster<TRow, TResult> cluster) =>
        endpoints.MapPartitionedDashboard(cluster, "/dashboard", options: null);

    /// <summary>Maps the dashboard of <paramref name="cluster"/> at <paramref name="pattern"/> (see the first overload).</summary>
    /// <returns>The route group, so filters or authorization can be added.</returns>
    /// <exception cref="Microsoft.Extensions.Options.OptionsValidationException">The options are invalid.</exception>
    public static RouteGroupBuilder MapPartitionedDashboard<TRow, TResult>(this IEndpointRouteBuilder endpoints, Cluster<TRow, TResult> cluster, string pattern, DashboardOptions? options)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentNullException.ThrowIfNull(cluster);
        ArgumentException.ThrowIfNullOrEmpty(pattern);
        options ??= new DashboardOptions();
        options.Validate();

        var stats = new ServingStats(cluster.Options.TimeProvider, () => cluster.CurrentDirectory);
        endpoints.ServiceProvider.GetService<IHostApplicationLifetime>()?.ApplicationStopped.Register(stats.Dispose);
        return DashboardEndpoints.Map(endpoints, pattern.TrimEnd('/'), cluster, options, stats);
    }
}
