using System.Net.Http.Json;
using Partitioned.Clustering;
using Partitioned.Datasets;
using Partitioned.Routing;
using Partitioned.Server;
using PartitionApp;

// The process runner starts this same program as a worker for each partition: it serves one partition, then exits.
if (PartitionWorker.IsWorkerProcess)
{
    return await PartitionWorker.RunAsync(WordCountServer.Definition);
}

// `dotnet run` runs every partition inside this process; `dotnet run -- --processes` runs each in a process of its own.
var options = new ClusterOptions { Runner = args.Contains("--processes") ? new ProcessRunner() : InProcessRunner.Instance };

string[] lines =
[
    "the quick brown fox jumps over the lazy dog",
    "a partition server serves the rows of its partition",
    "the driver asks every partition and gathers the answers",
    "each partition hands back its results when it stops",
];
var dataset = PartitionedDataset.FromCollection(Enumerable.Range(0, 100).Select(i => lines[i % lines.Length]), partitions: PARTITION_COUNT);

await using var cluster = await Cluster.StartAsync(dataset, WordCountServer.Definition, options);
Console.WriteLine($"{cluster.Hosts.Count} partitions serving ({(args.Contains("--processes") ? "one process each" : "in this process")}):");
foreach (var (partition, host) in cluster.Hosts)
{
    Console.WriteLine($"  partition {partition} at {host}");
}

// One partition, directly.
var one = await cluster.GetClient(0).GetFromJsonAsync<WordCount>("count?word=the");
Console.WriteLine($"partition 0 has 'the' {one!.Count} times");

// Every partition at once.
var all = await cluster.ScatterGetAsync<WordCount>("count?word=partition", new ScatterOptions { RequireAll = true });
Console.WriteLine($"'partition' occurs {all.Values.Sum(static c => c.Count)} times in all");

// Stop gracefully; every partition's results come back in partition order.
var results = await cluster.StopAsync();
foreach (var top in await results.CollectAsync())
{
    Console.WriteLine($"  partition {top.Partition}: '{top.Word}' x{top.Count}");
}

return 0;
