using System.Diagnostics;
using ModelServing;
using Partitioned.Clustering;
using Partitioned.Examples;
using Partitioned.Serving;
using Partitioned.Server;

// Worker mode: the process runner starts this app again, once per partition attempt, and ships it the model.
if (PartitionWorker.IsWorkerProcess)
{
    return await PartitionWorker.RunAsync(ModelServer.Definition);
}

// Usage: ModelServing [--port 5000] [--partitions 2] [--data data/iris.csv] [--in-process]
var options = new ExampleArguments(args);
var partitions = options.GetInt("--partitions", 2);
var data = LabeledFlower.ReadCsv(options.Get("--data") ?? Path.Combine(AppContext.BaseDirectory, "data", "iris.csv"));

// 1. Train once, on the driver.
var watch = Stopwatch.StartNew();
var model = IrisModel.Train(data);
Console.WriteLine($"Trained on {data.Count} flowers in {watch.ElapsedMilliseconds} ms.");

// 2. Offline: the very handler the partitions serve, run over the whole dataset in batches.
var flowers = PartitionedDataset.FromCollection(data.Select(d => d.Flower), partitions);
var offline = await (await ModelServer.Classify(model).RunOfflineAsync(flowers)).CollectAsync();
var correct = offline.Zip(data).Count(pair => pair.First.Species == pair.Second.Species);
Console.WriteLine($"Offline scoring with the serving handler: {correct}/{data.Count} correct ({100.0 * correct / data.Count:0.0}%).");

// 3. Online: ship the model to every partition (as JSON settings, to a worker process per partition) and serve it,
//    micro-batched, behind the gateway.
using var loggerFactory = LoggerFactory.Create(logging => logging.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning));
await using var serving = await ServingCluster.StartAsync(
    PartitionedDataset.FromGenerator(partitions, _ => Array.Empty<int>()),
    ModelServer.Definition.WithSettings(model),
    new ServingOptions { Port = options.GetInt("--port", 5000), LoadBalancing = LoadBalancingPolicies.PowerOfTwoChoices },
    new ClusterOptions { LoggerFactory = loggerFactory, Runner = args.Contains("--in-process") ? InProcessRunner.Instance : new ProcessRunner() });

await ServingConsole.ServeUntilStoppedAsync(serving, "classify", """{"sepalLength":6.1,"sepalWidth":2.8,"petalLength":4.7,"petalWidth":1.2}""");
return 0;
