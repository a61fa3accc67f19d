using System.Diagnostics;
using Partitioned.Client;
using Partitioned.Routing;

namespace SearchCluster;

/// <summary>
/// Client mode: searches a running search cluster from another process (or machine), with the client key the cluster
/// printed (<c>--serve</c>). Finds the partitions through the coordinator, queries them directly, and follows them
/// when one is re-launched elsewhere; it can read, never control.
/// </summary>
public static class RemoteSearch
{
    /// <summary>The variable the client key is read from (a key never goes on a command line, where <c>ps</c> shows it).</summary>
    public const string KeyVariable = "PARTITIONED_CLIENT_KEY";

    /// <summary>Connects, runs <paramref name="options"/>' queries, prints the hits and the latency, and returns the exit code.</summary>
    public static async Task<int> RunAsync(SearchOptions options, CancellationToken cancellationToken = default)
    {
        if (Environment.GetEnvironmentVariable(KeyVariable) is not { Length: > 0 } key)
        {
            Console.Error.WriteLine($"--client needs the cluster's client key in {KeyVariable} (the serving side prints it).");
            return 2;
        }

        PartitionedClient client;
        try
        {
            client = await PartitionedClient.ConnectAsync(new Uri(options.Client!), key, cancellationToken: cancellationToken);
        }
        catch (Exception ex) when (ex is ClusterGoneException or TimeoutException)
        {
            Console.Error.WriteLine(ex.Message);
            return 1;
        }

        await using var _ = client;
        Console.WriteLine($"Connected to {client.CoordinatorAddress}: {client.Directory.Current.ServingCount} of {client.Directory.Current.PartitionCount} partitions serving (directory version {client.Directory.Current.Version})");
        client.Directory.Changed += (_, change) => Console.WriteLine($"  partition {change.Partition}: {change.Kind} (attempt {change.Current.Attempt}, {change.Current.State})");
        var search = new DistributedSearch(async (path, token) => (await client.ScatterGetAsync<SearchReply>(path, new ScatterOptions { RequireAll = true }, cancellationToken: token)).Values);
        var latencies = new List<double>();
        foreach (var query in options.Queries)
        {
            var started = Stopwatch.GetTimestamp();
            var hits = await search.SearchAsync(query, options.K, cancellationToken);
            latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            var top = string.Join(", ", hits.Take(3).Select(static h => $"{h.DocumentId} ({h.Score:0.000})"));
            Console.WriteLine($"Query \"{query}\": {hits.Count} hits; best: {(top.Length > 0 ? top : "none")}");
        }

        Console.WriteLine($"{latencies.Count} queries from this client process, median {latencies.Order().ElementAt(latencies.Count / 2):0.00} ms");
        return 0;
    }
}
