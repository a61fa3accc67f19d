using ModelServing;
using Partitioned.Clustering;
using Partitioned.Datasets;
using Partitioned.Examples;
using Partitioned.Routing;
using Partitioned.Server;
using Partitioned.Serving;

// Worker mode: the process runner starts this app again, once per partition attempt, and ships it the model.
if (PartitionWorker.IsWorkerProcess)
{
    return await PartitionWorker.RunAsync(ModelServer.Definition);
}

// Usage: ModelServing [--engine mlnet|onnx] [--port 5000] [--partitions 2] [--data data/iris.csv] [--in-process]
var options = new ExampleArguments(args);
var engineName = options.Get("--engine") ?? "mlnet";
if (!Enum.TryParse<ModelEngine>(engineName, ignoreCase: true, out var engine) || !Enum.IsDefined(engine))
{
    Console.Error.WriteLine($"--engine must be mlnet or onnx (was '{engineName}').");
    return 2;
}

var partitions = options.GetInt("--partitions", 2);
var data = LabeledFlower.ReadCsv(options.Get("--data") ?? Path.Combine(AppContext.BaseDirectory, "data", "iris.csv"));

// 1. Train once, on the driver, with ML.NET; export the same model to ONNX.
var trained = IrisTrainer.Train(data);
Console.WriteLine($"Trained on {data.Count} flowers in {trained.TrainingTime.TotalMilliseconds:0} ms (SDCA maximum entropy; macro accuracy {trained.HoldoutMacroAccuracy:0.000} on a held-out fifth). " +
    $"Model: {trained.MlNetModel.Length} bytes as ML.NET, {trained.OnnxModel.Length} bytes as ONNX.");
var settings = trained.SettingsFor(engine);

// 2. Offline: the very service the partitions serve, run over the whole dataset in batches.
using (var classifier = FlowerClassifier.Load(settings))
{
    var flowers = PartitionedDataset.FromCollection(data.Select(static d => d.Flower), partitions);
    var offline = await (await classifier.Service.RunOfflineAsync(flowers)).CollectAsync();
    var correct = offline.Zip(data).Count(static pair => pair.First.Species == pair.Second.Species);
    Console.WriteLine($"Offline scoring with the serving handler ({engine}): {correct}/{data.Count} correct ({100.0 * correct / data.Count:0.0}%).");
}

// 3. Online: ship the model to every partition (as JSON settings, to a worker process per partition) and serve it
//    behind the gateway: ML.NET continuously, ONNX Runtime in micro-batches.
using var loggerFactory = LoggerFactory.Create(logging => logging.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning));
await using var serving = await ServingCluster.StartAsync(
    PartitionedDataset.FromGenerator(partitions, _ => Array.Empty<int>()),
    ModelServer.Definition.WithSettings(settings),
    new ServingOptions { Port = options.GetInt("--port", 5000), LoadBalancing = LoadBalancingPolicies.PowerOfTwoChoices },
    new ClusterOptions { LoggerFactory = loggerFactory, Runner = args.Contains("--in-process") ? InProcessRunner.Instance : new ProcessRunner() });

Console.WriteLine($"Engine: {engine} ({(engine == ModelEngine.Onnx ? "ONNX Runtime, micro-batches of up to 64, one Run per batch" : "ML.NET, a pool of prediction engines, continuous")}).");
await ServingConsole.ServeUntilStoppedAsync(serving, FlowerClassifier.ServiceName, """{"sepalLength":6.1,"sepalWidth":2.8,"petalLength":4.7,"petalWidth":1.2}""");
return 0;
