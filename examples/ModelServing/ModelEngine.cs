namespace ModelServing;

/// <summary>Which runtime serves the model (<c>--engine mlnet|onnx</c>).</summary>
public enum ModelEngine
{
    /// <summary>ML.NET: a pool of <c>PredictionEngine</c>s, one per handler slot, continuous processing (each request at once).</summary>
    MlNet,

    /// <summary>The same model exported to ONNX, served by ONNX Runtime: micro-batches, one <c>InferenceSession.Run</c> per batch.</summary>
    Onnx,
}
