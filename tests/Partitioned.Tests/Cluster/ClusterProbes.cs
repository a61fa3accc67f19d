using System.Net.Http.Json;
using Partitioned.Clustering;
using Partitioned.Protocol;

namespace Partitioned.Tests.Cluster;

/// <summary>Looks at a running cluster's partitions through their control routes.</summary>
internal static class ClusterProbes
{
    /// <summary>HTTP requests a partition is working on right now (the health probe itself is not counted).</summary>
    public static async Task<int> InFlightAsync<TRow, TResult>(Cluster<TRow, TResult> cluster, int partition)
    {
        using var http = new HttpClient();
        http.DefaultRequestHeaders.Authorization = cluster.Token.CreateAuthorizationHeader();
        var health = await http.GetFromJsonAsync<PartitionHealth>(new Uri(cluster.Hosts[partition], "control/health"));
        return health!.InFlight;
    }
}
