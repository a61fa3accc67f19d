using System.Diagnostics;
using Microsoft.ML;
using ModelServing;

namespace Partitioned.Bench;

/// <summary>
/// The model alone, no HTTP: flowers scored per second on one thread by ML.NET (a prediction engine per row, and
/// an <c>IDataView</c> transform per batch of 64) and by ONNX Runtime (one <c>Run</c> per row, and per batch of 64).
/// Shows what each engine costs per row, which the serving numbers hide when HTTP dominates.
/// </summary>
internal static class ModelComputeBenchmark
{
    private static readonly TimeSpan s_duration = TimeSpan.FromSeconds(2);

    public static List<ModelComputeRow> Run(TrainedModel trained)
    {
        var flowers = Enumerable.Range(0, 64).Select(static i => new Flower(4.3f + (i % 36) * 0.1f, 2.0f + (i % 24) * 0.1f, 1.0f + (i % 59) * 0.1f, 0.1f + (i % 25) * 0.1f)).ToArray();
        using var mlnet = new MlNetClassifier(trained.SettingsFor(ModelEngine.MlNet));
        using var onnx = new OnnxClassifier(trained.SettingsFor(ModelEngine.Onnx));
        var ml = new MLContext();
        var model = ml.Model.Load(new MemoryStream(trained.MlNetModel), out _);
        var one = new Flower[1];
        List<ModelComputeRow> rows =
        [
            Measure("ML.NET PredictionEngine, one row per call", 1, () => mlnet.Predict(flowers[0])),
            Measure("ML.NET IDataView transform, batch of 64", 64, () =>
                ml.Data.CreateEnumerable<MlNetScore>(model.Transform(ml.Data.LoadFromEnumerable(flowers)), reuseRowObject: false).Count()),
            Measure("ONNX Runtime Run, batch of 1", 1, () =>
            {
                one[0] = flowers[0];
                return onnx.Predict(one).Count;
            }),
            Measure("ONNX Runtime Run, batch of 64", 64, () => onnx.Predict(flowers).Count),
        ];
        foreach (var row in rows)
        {
            Console.WriteLine($"  {row.What,-45} {row.RowsPerSecond,12:N0} rows/s");
        }

        return rows;
    }

    private static ModelComputeRow Measure<T>(string what, int rowsPerCall, Func<T> call)
    {
        for (var warm = Stopwatch.StartNew(); warm.Elapsed < TimeSpan.FromMilliseconds(500);)
        {
            call();
        }

        long calls = 0;
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < s_duration)
        {
            call();
            calls++;
        }

        return new ModelComputeRow(what, calls * rowsPerCall / clock.Elapsed.TotalSeconds);
    }
}

internal sealed record ModelComputeRow(string What, double RowsPerSecond);
