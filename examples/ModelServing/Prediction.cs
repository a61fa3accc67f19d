namespace ModelServing;

/// <summary>The reply: the most likely species and every species' probability.</summary>
public sealed record Prediction(string Species, IReadOnlyDictionary<string, double> Probabilities);
