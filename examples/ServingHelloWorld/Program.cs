using Partitioned.Clustering;
using Partitioned.Datasets;
using Partitioned.Examples;
using Partitioned.Serving;
using ServingHelloWorld;

// Usage: ServingHelloWorld [--port 5000] [--partitions 2] [--mode distributed|head-node]
var options = new ExampleArguments(args);
var mode = options.Get("--mode") == "head-node" ? ServingMode.HeadNode : ServingMode.Distributed;

using var loggerFactory = LoggerFactory.Create(logging => logging.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning));
await using var serving = await ServingCluster.StartAsync(
    PartitionedDataset.FromGenerator(options.GetInt("--partitions", 2), _ => Array.Empty<int>()),
    HelloServer.Definition,
    new ServingOptions { Port = options.GetInt("--port", 5000), Mode = mode, Services = ["hello"] },
    new ClusterOptions { LoggerFactory = loggerFactory });

await ServingConsole.ServeUntilStoppedAsync(serving, "hello", """{"foo":"abc","bar":1}""");
