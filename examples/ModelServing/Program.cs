using System.Diagnostics;
using ModelServing;
using Partitioned.Clustering;
using Partitioned.Examples;
using Partitioned.Serving;

// Usage: ModelServing [--port 5000] [--partitions 2] [--data data/iris.csv]
var port = IntOption("--port", 5000);
var partitions = IntOption("--partitions", 2);
var data = LabeledFlower.ReadCsv(Option("--data") ?? Path.Combine(AppContext.BaseDirectory, "data", "iris.csv"));

// 1. Train once, on the driver.
var watch = Stopwatch.StartNew();
var model = IrisModel.Train(data);
Console.WriteLine($"Trained on {data.Count} flowers in {watch.ElapsedMilliseconds} ms.");

// 2. Offline: the very handler the partitions serve, run over the whole dataset in batches.
var flowers = PartitionedDataset.FromCollection(data.Select(d => d.Flower), partitions);
var offline = await (await ModelServer.Classify(model).RunOfflineAsync(flowers)).CollectAsync();
var correct = offline.Zip(data).Count(pair => pair.First.Species == pair.Second.Species);
Console.WriteLine($"Offline scoring with the serving handler: {correct}/{data.Count} correct ({100.0 * correct / data.Count:0.0}%).");

// 3. Online: ship the model to every partition (as JSON settings) and serve it, micro-batched, behind the gateway.
using var loggerFactory = LoggerFactory.Create(logging => logging.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning));
await using var serving = await ServingCluster.StartAsync(
    PartitionedDataset.FromGenerator(partitions, _ => Array.Empty<int>()),
    ModelServer.Definition.WithSettings(model),
    new ServingOptions { Port = port, LoadBalancing = LoadBalancingPolicies.PowerOfTwoChoices },
    new ClusterOptions { LoggerFactory = loggerFactory });

Console.WriteLine($"Serving 'classify' on {partitions} partitions behind the gateway. Clients call:");
Console.WriteLine(serving.GetServiceUri("classify"));
Console.WriteLine($"Try: curl -s -X POST {serving.GetServiceUri("classify")} -H 'Content-Type: application/json' -d '{{\"sepalLength\":6.1,\"sepalWidth\":2.8,\"petalLength\":4.7,\"petalWidth\":1.2}}'");
Console.WriteLine("Press Ctrl+C to stop.");

await ShutdownSignal.WaitAsync();
await serving.StopAsync();
Console.WriteLine("Stopped.");

string? Option(string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();
int IntOption(string name, int fallback) => int.TryParse(Option(name), out var value) ? value : fallback;
