using Microsoft.Extensions.ObjectPool;
using Microsoft.ML;
using Partitioned.Serving;

namespace ModelServing;

/// <summary>
/// Serves the ML.NET model continuously: each request is scored as soon as a handler slot is free. A
/// <c>PredictionEngine</c> is not thread-safe, so the slots share a pool of them, at most one per slot
/// (Microsoft.Extensions.ML's <c>PredictionEnginePool</c> does the same; that package is not used here).
/// </summary>
public sealed class MlNetClassifier : IFlowerClassifier
{
    private readonly ObjectPool<PredictionEngine<Flower, MlNetScore>> _engines;
    private readonly string[] _classes;

    public MlNetClassifier(ModelSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var ml = new MLContext();
        using var bytes = new MemoryStream(settings.Model, writable: false);
        var model = ml.Model.Load(bytes, out _);
        var slots = Environment.ProcessorCount * 2;
        _engines = new DefaultObjectPoolProvider { MaximumRetained = slots }.Create(new PredictionEnginePolicy(ml, model));
        _classes = settings.Classes;
        Service = ServiceDefinition.Create(FlowerClassifier.ServiceName, (Flower flower) => Predict(flower), new ServiceOptions { Mode = ProcessingMode.Continuous, Concurrency = slots });
    }

    public ServiceDefinition<Flower, Prediction> Service { get; }

    public Prediction Predict(Flower flower)
    {
        var engine = _engines.Get();
        try
        {
            return Prediction.FromScores(_classes, engine.Predict(flower).Score);
        }
        finally
        {
            _engines.Return(engine);
        }
    }

    public void Dispose() => (_engines as IDisposable)?.Dispose();
}
