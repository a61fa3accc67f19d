using System.Diagnostics;
using System.Net;
using Partitioned.Clustering;
using Partitioned.Datasets;
using Partitioned.Routing;
using Partitioned.Security;
using Partitioned.Server;
using SearchCluster;

// Worker mode: the process runner starts this app again, once per partition attempt.
if (PartitionWorker.IsWorkerProcess)
{
    return await PartitionWorker.RunAsync(SearchServer.Definition);
}

if (SearchOptions.Parse(args, out var error) is not { } options)
{
    Console.Error.WriteLine(error is { Length: > 0 } ? $"{error}{Environment.NewLine}{SearchOptions.Usage}" : SearchOptions.Usage);
    return error is { Length: > 0 } ? 2 : 0;
}

// Client mode: query a search cluster another process runs, with the client key it printed.
if (options.Client is not null)
{
    return await RemoteSearch.RunAsync(options);
}

// 1. The corpus, and its global statistics, computed here once and shipped to every partition as settings.
var documents = options.CorpusFolder is { } folder ? Corpus.LoadFolder(folder) : Corpus.Generate(options.Documents);
var clock = Stopwatch.StartNew();
var statistics = CorpusStatistics.Compute(documents);
Console.WriteLine($"Corpus: {documents.Count} documents, {statistics.TotalLength:N0} terms ({options.CorpusFolder ?? "generated"}); " +
    $"global statistics computed on the driver in {clock.ElapsedMilliseconds} ms: {statistics.DocumentFrequencies.Count:N0} distinct terms, average length {statistics.AverageLength:0.0}");

// 2. One partition server per slice of the corpus: in worker processes (default), in this process, or on Slurm nodes.
using var loggerFactory = LoggerFactory.Create(logging => logging.AddSimpleConsole(console => console.SingleLine = true).SetMinimumLevel(LogLevel.Warning));
await using var placement = await ClusterPlacement.CreateAsync(options, loggerFactory);
var server = SearchServer.Definition.WithSettings(new SearchSettings(statistics));
clock.Restart();

// Serving: a read-only client key lets other processes search the partitions directly (--client); no key, no remote client.
var clientKey = options.Serve ? ClientKey.Create() : null;
var clusterOptions = clientKey is null ? placement.Options : placement.Options with { ClientKeys = [clientKey] };
await using var cluster = await Cluster.StartAsync(PartitionedDataset.FromCollection(documents, options.Partitions), server, clusterOptions);
Console.WriteLine($"Cluster {cluster.Id}: {cluster.Hosts.Count} partitions serving after {clock.ElapsedMilliseconds} ms " +
    $"({placement.Options.Runner.Name} runner: start, stream documents, build indexes, register)");
var summaries = (await cluster.ScatterGetAsync<IndexSummary>("stats", new ScatterOptions { RequireAll = true })).Values;
foreach (var (entry, summary) in cluster.Directory.Current.Partitions.Zip(summaries))
{
    Console.WriteLine($"  partition {entry.Partition} on node {entry.Node} at {entry.Endpoint} (attempt {entry.Attempt}, pid {summary.ProcessId}): " +
        $"{summary.Documents} documents, {summary.Terms:N0} terms, {summary.Postings:N0} postings, index built in {summary.BuildMilliseconds:0.0} ms");
}

// 3. Queries by scatter-gather: every partition's top-k, merged into the corpus's top-k.
var search = new DistributedSearch(cluster);
foreach (var query in options.Queries)
{
    var hits = await search.SearchAsync(query, options.K);
    var top = string.Join(", ", hits.Take(3).Select(static h => $"{h.DocumentId} ({h.Score:0.000})"));
    Console.WriteLine($"Query \"{query}\": {hits.Count} hits; best: {(top.Length > 0 ? top : "none")}");
}

var latencies = new List<double>();
for (var round = 0; round < options.Rounds; round++)
{
    foreach (var query in options.Queries)
    {
        var started = Stopwatch.GetTimestamp();
        await search.SearchAsync(query, options.K);
        latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
    }
}

latencies.Sort();
Console.WriteLine($"Query latency over {latencies.Count} scatter-gather queries ({options.Partitions} partitions, k={options.K}): " +
    $"p50 {Percentile(0.50):0.00} ms, p95 {Percentile(0.95):0.00} ms, max {latencies[^1]:0.00} ms");

// 4. Optionally serve the merged search as a web service until Ctrl+C.
if (options.Serve)
{
    var builder = WebApplication.CreateSlimBuilder();
    builder.Logging.SetMinimumLevel(LogLevel.Warning);
    builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, options.Port));
    var app = builder.Build();
    app.MapGet("/search", async (string? q, string? k, CancellationToken cancellationToken) =>
        SearchQuery.Validate(q, k, out _, out var count) is { } problem
            ? Results.Problem(detail: problem, statusCode: StatusCodes.Status400BadRequest, title: "Bad search request")
            : Results.Ok(await search.SearchAsync(q!, count, cancellationToken)));
    Console.WriteLine($"Serving http://127.0.0.1:{options.Port}/search?q=galaxy+telescope&k=5 until Ctrl+C");

    // The example prints the key so a second terminal can use it; a real deployment hands it over through a secret store.
    // Under TLS the exported key also carries the authority the client must trust (the key alone in cleartext).
    var exported = clientKey!.WithTrustedAuthorities(cluster.Transport.TrustedAuthorities).Export();
    Console.WriteLine($"Search from another process: {RemoteSearch.KeyVariable}=\"{exported}\" dotnet run --project examples/SearchCluster -- --client {cluster.CoordinatorAddress}");
    await app.RunAsync();
}

// 5. Stop: every partition hands back a summary of its index.
var results = await cluster.StopAsync();
foreach (var summary in await results.CollectAsync())
{
    Console.WriteLine($"Stopped partition {summary.Partition}: answered {summary.Queries} queries over {summary.Documents} documents");
}

return 0;

double Percentile(double fraction) => latencies[(int)Math.Min(latencies.Count - 1, Math.Ceiling(fraction * latencies.Count) - 1)];
