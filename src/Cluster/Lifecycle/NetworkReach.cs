using System.Net;
using System.Net.Sockets;
using Partitioned.Shared;

namespace Partitioned.Clustering;

/// <summary>
/// The checks a cluster whose partitions run on other machines makes before it starts: every address the
/// partitions dial, or are dialled at, must be reachable from another machine. Found at start with a clear message,
/// instead of workers that time out a minute later.
/// </summary>
internal static class NetworkReach
{
    public static IEnumerable<string> Problems(ClusterOptions options)
    {
        var runner = options.Runner.Name;
        if (KestrelApp.TryParseBindAddress(options.CoordinatorBindAddress, out var coordinator) && IPAddress.IsLoopback(coordinator))
        {
            yield return $"{nameof(ClusterOptions.CoordinatorBindAddress)} is {options.CoordinatorBindAddress}, which partitions on other machines (runner '{runner}') cannot reach; set it to 0.0.0.0 or to this machine's address on the cluster network.";
        }
        else if (IsWildcard(coordinator) && options.CoordinatorAdvertisedHost is null && ResolvesOnlyToLoopback(Dns.GetHostName()))
        {
            yield return $"{nameof(ClusterOptions.CoordinatorAdvertisedHost)} is not set, so partitions would dial this machine's name '{Dns.GetHostName()}', which resolves only to loopback here; set it to this machine's address or name on the cluster network.";
        }

        if (options.Server is { } server && KestrelApp.TryParseBindAddress(server.BindAddress, out var partition) && IPAddress.IsLoopback(partition))
        {
            yield return $"{nameof(ClusterOptions.Server)}.{nameof(server.BindAddress)} is {server.BindAddress}: partitions on other machines (runner '{runner}') would listen where neither this driver nor clients can reach them; set it to 0.0.0.0.";
        }
    }

    private static bool IsWildcard(IPAddress address) => address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any);

    private static bool ResolvesOnlyToLoopback(string host)
    {
        try
        {
            var addresses = Dns.GetHostAddresses(host);
            return addresses.Length > 0 && addresses.All(IPAddress.IsLoopback);
        }
        catch (SocketException)
        {
            return true;
        }
    }
}
