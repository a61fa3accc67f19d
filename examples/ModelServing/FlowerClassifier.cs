namespace ModelServing;

/// <summary>Loads a shipped model with the engine its settings name.</summary>
public static class FlowerClassifier
{
    /// <summary>The service's name: clients POST to <c>/serve/classify</c> whichever engine serves.</summary>
    public const string ServiceName = "classify";

    public static IFlowerClassifier Load(ModelSettings settings) => settings.Engine switch
    {
        ModelEngine.MlNet => new MlNetClassifier(settings),
        ModelEngine.Onnx => new OnnxClassifier(settings),
        _ => throw new ArgumentOutOfRangeException(nameof(settings), settings.Engine, "Unknown engine."),
    };
}
