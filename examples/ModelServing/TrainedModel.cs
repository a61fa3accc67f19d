namespace ModelServing;

/// <summary>The classifier, trained once on the driver, in both forms it can be served in.</summary>
/// <param name="MlNetModel">The ML.NET model (a zip), input <see cref="Flower"/>.</param>
/// <param name="OnnxModel">The same model exported to ONNX.</param>
/// <param name="Classes">The species, in the order of the model's scores.</param>
/// <param name="HoldoutMacroAccuracy">Macro accuracy on a fifth of the data held out of a training run on the rest.</param>
/// <param name="TrainingTime">How long training, the hold-out check and the export took.</param>
public sealed record TrainedModel(byte[] MlNetModel, byte[] OnnxModel, string[] Classes, double HoldoutMacroAccuracy, TimeSpan TrainingTime)
{
    /// <summary>The settings that ship the model to partitions, for one engine.</summary>
    public ModelSettings SettingsFor(ModelEngine engine) =>
        new(engine, engine == ModelEngine.Onnx ? OnnxModel : MlNetModel, Classes);
}
