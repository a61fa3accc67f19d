using Partitioned.Clustering;
using Partitioned.Examples;
using Partitioned.Serving;
using ServingHelloWorld;

// Usage: ServingHelloWorld [--port 5000] [--partitions 2] [--mode distributed|head-node]
var port = IntOption("--port", 5000);
var partitions = IntOption("--partitions", 2);
var mode = Option("--mode") == "head-node" ? ServingMode.HeadNode : ServingMode.Distributed;

using var loggerFactory = LoggerFactory.Create(logging => logging.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning));
var dataset = PartitionedDataset.FromGenerator(partitions, _ => Array.Empty<int>());
await using var serving = await ServingCluster.StartAsync(
    dataset,
    HelloServer.Definition,
    new ServingOptions { Port = port, Mode = mode, Services = ["hello"] },
    new ClusterOptions { LoggerFactory = loggerFactory });

Console.WriteLine($"Serving 'hello' on {partitions} partitions ({mode} mode). Clients call:");
Console.WriteLine(serving.GetServiceUri("hello"));
Console.WriteLine($"Try: curl -s -X POST {serving.GetServiceUri("hello")} -H 'Content-Type: application/json' -d '{{\"foo\":\"abc\",\"bar\":1}}'");
Console.WriteLine("Press Ctrl+C to stop.");

await ShutdownSignal.WaitAsync();
await serving.StopAsync();
Console.WriteLine("Stopped.");

string? Option(string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();
int IntOption(string name, int fallback) => int.TryParse(Option(name), out var value) ? value : fallback;
