using ModelServing;
using Partitioned.Clustering;
using Partitioned.Datasets;

namespace Partitioned.Bench;

/// <summary>
/// The ModelServing example's classifier on one in-process partition, called directly at <c>/serve/classify</c>:
/// ML.NET served continuously from a pool of prediction engines, or its ONNX export served by ONNX Runtime in
/// micro-batches. Trained once per bench run, on the example's data.
/// </summary>
internal sealed class ModelTarget(ModelEngine engine, Lazy<TrainedModel> trained) : IServingTarget
{
    public const string MlNetName = "model: ML.NET continuous, 1 partition direct";
    public const string OnnxName = "model: ONNX Runtime micro-batch (2 ms), 1 partition direct";

    private Cluster<int, int>? _cluster;

    public string Name => engine == ModelEngine.Onnx ? OnnxName : MlNetName;

    public string Script => "post-iris.lua";

    public static Lazy<TrainedModel> Train(string benchFolder) => new(() =>
        IrisTrainer.Train(LabeledFlower.ReadCsv(Path.Combine(benchFolder, "..", "examples", "ModelServing", "data", "iris.csv"))));

    public async Task<Uri> StartAsync()
    {
        var settings = trained.Value.SettingsFor(engine);
        _cluster = await Cluster.StartAsync(PartitionedDataset.FromGenerator(1, _ => Array.Empty<int>()), ModelServer.Definition.WithSettings(settings));
        return new Uri(_cluster.Hosts[0], "serve/" + FlowerClassifier.ServiceName);
    }

    public async ValueTask DisposeAsync()
    {
        if (_cluster is not null)
        {
            await _cluster.DisposeAsync();
        }
    }
}
