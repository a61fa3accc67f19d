namespace ModelServing;

/// <summary>One iris flower's measurements, in centimetres: the request body of the "classify" service.</summary>
public sealed record Flower(double SepalLength, double SepalWidth, double PetalLength, double PetalWidth)
{
    public double[] Features => [SepalLength, SepalWidth, PetalLength, PetalWidth];
}
