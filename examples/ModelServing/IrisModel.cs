namespace ModelServing;

/// <summary>
/// Multinomial logistic regression (softmax) over standardised features. Small enough to ship to every
/// partition as JSON settings; <see cref="Train"/> is deterministic (full-batch gradient descent from zero).
/// </summary>
/// <param name="Classes">The species, in the order of <paramref name="Weights"/>.</param>
/// <param name="Means">Per-feature means used for standardising.</param>
/// <param name="Scales">Per-feature standard deviations used for standardising.</param>
/// <param name="Weights">One row per class: a weight per feature, then the bias.</param>
public sealed record IrisModel(string[] Classes, double[] Means, double[] Scales, double[][] Weights)
{
    public static IrisModel Train(IReadOnlyList<LabeledFlower> data, int iterations = 2000, double learningRate = 0.5, double l2 = 1e-4)
    {
        var classes = data.Select(d => d.Species).Distinct().Order(StringComparer.Ordinal).ToArray();
        var features = data[0].Flower.Features.Length;
        var means = Enumerable.Range(0, features).Select(f => data.Average(d => d.Flower.Features[f])).ToArray();
        var scales = Enumerable.Range(0, features).Select(f => Math.Sqrt(data.Average(d => Math.Pow(d.Flower.Features[f] - means[f], 2)))).ToArray();
        var x = data.Select(d => Standardise(d.Flower.Features, means, scales)).ToArray();
        var y = data.Select(d => Array.IndexOf(classes, d.Species)).ToArray();
        var weights = classes.Select(_ => new double[features + 1]).ToArray();

        for (var iteration = 0; iteration < iterations; iteration++)
        {
            var gradient = classes.Select(_ => new double[features + 1]).ToArray();
            for (var i = 0; i < x.Length; i++)
            {
                var p = Softmax(weights, x[i]);
                for (var c = 0; c < classes.Length; c++)
                {
                    var error = p[c] - (y[i] == c ? 1 : 0);
                    for (var f = 0; f < features; f++)
                    {
                        gradient[c][f] += error * x[i][f];
                    }

                    gradient[c][features] += error;
                }
            }

            for (var c = 0; c < classes.Length; c++)
            {
                for (var f = 0; f <= features; f++)
                {
                    var penalty = f < features ? l2 * weights[c][f] : 0;
                    weights[c][f] -= learningRate * ((gradient[c][f] / x.Length) + penalty);
                }
            }
        }

        return new IrisModel(classes, means, scales, weights);
    }

    /// <summary>Scores a batch at once (the micro-batch handler calls this).</summary>
    public IReadOnlyList<Prediction> Predict(IReadOnlyList<Flower> flowers) => [.. flowers.Select(Predict)];

    public Prediction Predict(Flower flower)
    {
        var p = Softmax(Weights, Standardise(flower.Features, Means, Scales));
        var best = Array.IndexOf(p, p.Max());
        return new Prediction(Classes[best], Classes.Select((c, i) => (c, i)).ToDictionary(t => t.c, t => Math.Round(p[t.i], 4)));
    }

    private static double[] Standardise(double[] features, double[] means, double[] scales) =>
        [.. features.Select((v, f) => (v - means[f]) / scales[f])];

    private static double[] Softmax(double[][] weights, double[] x)
    {
        var scores = weights.Select(w => w[^1] + x.Select((v, f) => v * w[f]).Sum()).ToArray();
        var max = scores.Max();
        var exp = scores.Select(s => Math.Exp(s - max)).ToArray();
        var sum = exp.Sum();
        return [.. exp.Select(e => e / sum)];
    }
}
