using System.Net.Http.Json;
using HelloPartitions;
using Partitioned.Clustering;
using Partitioned.Datasets;
using Partitioned.Routing;
using Partitioned.Server;

// 1000 integers split into 2 partitions the way Spark's parallelize does: [0, 500) and [500, 1000).
var dataset = PartitionedDataset.FromCollection(Enumerable.Range(0, 1000), partitions: 2);
var server = PartitionServerDefinition.Create("lists", () => new ListServer());

await using var cluster = await Cluster.StartAsync(dataset, server);
Console.WriteLine($"Cluster {cluster.Id}: {cluster.Hosts.Count} partitions serving, coordinator at {cluster.CoordinatorAddress}");

// Query each partition directly.
foreach (var (partition, host) in cluster.Hosts)
{
    var rows = await cluster.GetClient(partition).GetFromJsonAsync<int[]>("get_list");
    Console.WriteLine($"Partition {partition} at {host}: {rows!.Length} rows, {rows[0]}..{rows[^1]}");
}

// Or all at once: scatter-gather.
var counts = await cluster.ScatterGetAsync<CountReply>("count", new ScatterOptions { RequireAll = true });
Console.WriteLine($"Scatter-gather: {string.Join(", ", counts.Values.Select(c => $"partition {c.Partition} has {c.Count}"))}");

// Stop gracefully and collect what every partition produced.
var results = await cluster.StopAsync();
foreach (var summary in await results.CollectAsync())
{
    Console.WriteLine($"Result: partition {summary.Partition} count={summary.Count} sum={summary.Sum}");
}

internal sealed record CountReply(int Partition, int Count);
