namespace ModelServing;

/// <summary>What the ML.NET pipeline outputs for one flower: the predicted label and a score (probability) per class.</summary>
public sealed class MlNetScore
{
    public string PredictedLabel { get; set; } = string.Empty;

    public float[] Score { get; set; } = [];
}
