using Microsoft.ML.OnnxRuntime;
using Partitioned.Serving;

namespace ModelServing;

/// <summary>
/// Serves the ONNX export with ONNX Runtime in micro-batches: one <see cref="InferenceSession"/> per partition, and
/// one <c>Run</c> per batch (up to 64 requests, gathered for at most 2 ms), so the runtime's per-call cost is shared.
/// </summary>
public sealed class OnnxClassifier : IFlowerClassifier
{
    private const string ScoreOutput = "Score.output";

    private static readonly string[] s_inputs = [nameof(Flower.SepalLength), nameof(Flower.SepalWidth), nameof(Flower.PetalLength), nameof(Flower.PetalWidth)];
    private static readonly string[] s_outputs = [ScoreOutput];

    private readonly InferenceSession _session;
    private readonly RunOptions _run = new();
    private readonly string[] _classes;

    public OnnxClassifier(ModelSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        _session = new InferenceSession(settings.Model);
        var missing = s_inputs.Where(name => !_session.InputMetadata.ContainsKey(name))
            .Concat(s_outputs.Where(name => !_session.OutputMetadata.ContainsKey(name))).ToList();
        if (missing.Count > 0)
        {
            _session.Dispose();
            throw new InvalidDataException($"The ONNX model lacks {string.Join(", ", missing)}; it must take the four measurements as [N,1] float inputs and give {ScoreOutput}.");
        }

        _classes = settings.Classes;
        Service = ServiceDefinition.CreateBatch(FlowerClassifier.ServiceName, (IReadOnlyList<Flower> batch) => Predict(batch),
            new ServiceOptions { Mode = ProcessingMode.MicroBatch, MaxBatchSize = 64, MaxBatchDelay = TimeSpan.FromMilliseconds(2) });
    }

    public ServiceDefinition<Flower, Prediction> Service { get; }

    /// <summary>Scores a batch with one <c>Run</c>.</summary>
    public IReadOnlyList<Prediction> Predict(IReadOnlyList<Flower> batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var columns = new float[4][];
        for (var c = 0; c < columns.Length; c++)
        {
            columns[c] = new float[batch.Count];
        }

        for (var i = 0; i < batch.Count; i++)
        {
            (columns[0][i], columns[1][i], columns[2][i], columns[3][i]) = (batch[i].SepalLength, batch[i].SepalWidth, batch[i].PetalLength, batch[i].PetalWidth);
        }

        long[] shape = [batch.Count, 1];
        var inputs = columns.Select(column => OrtValue.CreateTensorValueFromMemory(column, shape)).ToArray();
        try
        {
            using var outputs = _session.Run(_run, s_inputs, inputs, s_outputs);
            var scores = outputs[0].GetTensorDataAsSpan<float>();
            var width = _classes.Length;
            var predictions = new Prediction[batch.Count];
            for (var i = 0; i < predictions.Length; i++)
            {
                predictions[i] = Prediction.FromScores(_classes, scores.Slice(i * width, width));
            }

            return predictions;
        }
        finally
        {
            foreach (var input in inputs)
            {
                input.Dispose();
            }
        }
    }

    public void Dispose()
    {
        _run.Dispose();
        _session.Dispose();
    }
}
