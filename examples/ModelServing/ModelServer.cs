using Partitioned.Serving;
using Partitioned.Server;

namespace ModelServing;

/// <summary>A partition server that serves the model it was shipped: "classify", micro-batched.</summary>
public sealed class ModelServer(IrisModel model) : PartitionServer<int, int>
{
    public static readonly PartitionServerDefinition<IrisModel, int, int> Definition =
        PartitionServerDefinition.Create("iris-model", (IrisModel model) => new ModelServer(model));

    /// <summary>The service, defined once: served online by partitions, and run offline over a whole dataset.</summary>
    public static ServiceDefinition<Flower, Prediction> Classify(IrisModel model) => ServiceDefinition.CreateBatch(
        "classify",
        (IReadOnlyList<Flower> batch) => model.Predict(batch),
        new ServiceOptions { Mode = ProcessingMode.MicroBatch, MaxBatchSize = 64, MaxBatchDelay = TimeSpan.FromMilliseconds(2) });

    protected override ValueTask InitializeAsync(IAsyncEnumerable<int> rows, CancellationToken cancellationToken) => ValueTask.CompletedTask;

    protected override void MapRoutes(IEndpointRouteBuilder app) => app.MapGet("/model", () => model);

    protected override void ConfigureFeatures(PartitionFeatures features) => features.AddService(Classify(model));
}
