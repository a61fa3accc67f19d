namespace ModelServing;

/// <summary>One iris flower's measurements, in centimetres: the request body of the "classify" service, and the model's input.</summary>
public sealed record Flower(float SepalLength, float SepalWidth, float PetalLength, float PetalWidth);
