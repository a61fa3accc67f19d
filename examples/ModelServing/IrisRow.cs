namespace ModelServing;

/// <summary>A training row for ML.NET: the four measurements (named as in <see cref="Flower"/>, the serving input) and the species.</summary>
internal sealed record IrisRow(float SepalLength, float SepalWidth, float PetalLength, float PetalWidth, string Species);
