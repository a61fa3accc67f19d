using Partitioned.Serving;

namespace ModelServing;

/// <summary>A loaded model and the "classify" service that serves it; disposing it releases the runtime's resources.</summary>
public interface IFlowerClassifier : IDisposable
{
    /// <summary>The service partitions serve and <c>RunOfflineAsync</c> runs over datasets.</summary>
    ServiceDefinition<Flower, Prediction> Service { get; }
}
