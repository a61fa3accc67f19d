using Partitioned.Server;

namespace Partitioned.Serving;

/// <summary>Adds services to a partition server, in <see cref="PartitionServer{TRow, TResult}.ConfigureFeatures"/>.</summary>
public static class PartitionFeaturesServingExtensions
{
    /// <summary>
    /// Serves <paramref name="service"/> on this partition at <c>POST /serve/{name}</c> (and, when the cluster runs a
    /// head node, takes its requests from there too).
    /// </summary>
    /// <exception cref="InvalidOperationException">A service with the same name was already added.</exception>
    public static PartitionFeatures AddService<TRequest, TReply>(this PartitionFeatures features, ServiceDefinition<TRequest, TReply> service)
    {
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(service);
        features.GetOrAdd(static () => new ServingFeature()).Add(new ServiceHost<TRequest, TReply>(service));
        return features;
    }
}
