using Partitioned.Serving;
using Partitioned.Server;

namespace ModelServing;

/// <summary>A partition server that serves the model it was shipped, with the engine the settings name.</summary>
public sealed class ModelServer(ModelSettings settings) : PartitionServer<int, int>, IDisposable
{
    private IFlowerClassifier? _classifier;

    public static readonly PartitionServerDefinition<ModelSettings, int, int> Definition =
        PartitionServerDefinition.Create("iris-model", (ModelSettings settings) => new ModelServer(settings));

    public void Dispose() => _classifier?.Dispose();

    protected override ValueTask InitializeAsync(IAsyncEnumerable<int> rows, CancellationToken cancellationToken)
    {
        _classifier = FlowerClassifier.Load(settings);
        return ValueTask.CompletedTask;
    }

    protected override void MapRoutes(IEndpointRouteBuilder app) =>
        app.MapGet("/model", () => new { engine = settings.Engine.ToString(), classes = settings.Classes, bytes = settings.Model.Length });

    protected override void ConfigureFeatures(PartitionFeatures features) => features.AddService(_classifier!.Service);
}
