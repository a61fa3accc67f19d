namespace ModelServing;

/// <summary>The reply: the most likely species and every species' probability (rounded to 4 digits).</summary>
public sealed record Prediction(string Species, IReadOnlyDictionary<string, double> Probabilities)
{
    /// <summary>The reply for one flower's scores, one per class in <paramref name="classes"/> order.</summary>
    public static Prediction FromScores(IReadOnlyList<string> classes, ReadOnlySpan<float> scores)
    {
        var best = 0;
        var probabilities = new Dictionary<string, double>(classes.Count);
        for (var i = 0; i < classes.Count; i++)
        {
            best = scores[i] > scores[best] ? i : best;
            probabilities[classes[i]] = Math.Round(scores[i], 4);
        }

        return new Prediction(classes[best], probabilities);
    }
}
