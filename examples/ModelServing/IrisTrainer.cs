using System.Diagnostics;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace ModelServing;

/// <summary>
/// Trains the Iris classifier with ML.NET: the four measurements, standardised, into a multiclass logistic regression
/// (SDCA maximum entropy), then exports it to ONNX. Deterministic for a seed.
/// </summary>
/// <remarks>
/// 200 SDCA passes: the same held-out accuracy as the trainer's own stopping rule (0.976) in a tenth of the time
/// (about 0.2 s a fit instead of 2 s here), with slightly less confident probabilities.
/// </remarks>
public static class IrisTrainer
{
    private const int Passes = 200;

    private static readonly string[] s_features = [nameof(Flower.SepalLength), nameof(Flower.SepalWidth), nameof(Flower.PetalLength), nameof(Flower.PetalWidth)];

    public static TrainedModel Train(IReadOnlyList<LabeledFlower> data, int seed = 1)
    {
        var clock = Stopwatch.StartNew();
        var ml = new MLContext(seed);
        var rows = ml.Data.LoadFromEnumerable(data.Select(static d =>
            new IrisRow(d.Flower.SepalLength, d.Flower.SepalWidth, d.Flower.PetalLength, d.Flower.PetalWidth, d.Species)));

        // The label's key mapping is fitted apart from the model, so the model's only inputs are the measurements
        // (an ONNX export of a pipeline that maps the label would ask for the species as an input too).
        var labeled = ml.Transforms.Conversion.MapValueToKey("Label", nameof(IrisRow.Species)).Fit(rows).Transform(rows);
        var pipeline = ml.Transforms.Concatenate("Features", s_features)
            .Append(ml.Transforms.NormalizeMeanVariance("Features"))
            .Append(ml.MulticlassClassification.Trainers.SdcaMaximumEntropy(maximumNumberOfIterations: Passes))
            .Append(ml.Transforms.Conversion.MapKeyToValue("PredictedLabel"));

        var split = ml.Data.TrainTestSplit(labeled, testFraction: 0.2, seed: seed);
        var holdout = ml.MulticlassClassification.Evaluate(pipeline.Fit(split.TrainSet).Transform(split.TestSet)).MacroAccuracy;
        var model = pipeline.Fit(labeled);

        var flowers = ml.Data.LoadFromEnumerable(data.Select(static d => d.Flower));
        VBuffer<ReadOnlyMemory<char>> slots = default;
        model.GetOutputSchema(flowers.Schema)["Score"].GetSlotNames(ref slots);
        var classes = slots.DenseValues().Select(static s => s.ToString()).ToArray();

        using var mlnet = new MemoryStream();
        ml.Model.Save(model, flowers.Schema, mlnet);
        using var onnx = new MemoryStream();
        ml.Model.ConvertToOnnx(model, flowers, onnx);
        return new TrainedModel(mlnet.ToArray(), onnx.ToArray(), classes, holdout, clock.Elapsed);
    }
}
