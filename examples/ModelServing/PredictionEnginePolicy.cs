using Microsoft.Extensions.ObjectPool;
using Microsoft.ML;

namespace ModelServing;

/// <summary>Creates prediction engines over one loaded model; every engine handed back is kept for reuse.</summary>
internal sealed class PredictionEnginePolicy(MLContext ml, ITransformer model) : PooledObjectPolicy<PredictionEngine<Flower, MlNetScore>>
{
    public override PredictionEngine<Flower, MlNetScore> Create() => ml.Model.CreatePredictionEngine<Flower, MlNetScore>(model);

    public override bool Return(PredictionEngine<Flower, MlNetScore> obj) => true;
}
