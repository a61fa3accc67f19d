namespace ModelServing;

/// <summary>
/// What every partition needs to serve the model: the engine, the model's bytes (an ML.NET model zip or an ONNX
/// graph, a few KB) and the class names in score order. Shipped as the server's settings, so it reaches worker
/// processes as JSON (the bytes as base64).
/// </summary>
public sealed record ModelSettings(ModelEngine Engine, byte[] Model, string[] Classes);
