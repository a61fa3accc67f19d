using Partitioned.Coordination;

namespace Partitioned.Serving;

/// <summary>An offline run of a service's handler could not produce a reply for a request.</summary>
public sealed class ServiceOfflineException : PartitionedException
{
    /// <summary>Creates the exception.</summary>
    public ServiceOfflineException(string service, string requestId, string reason, Exception? innerException = null)
        : base($"Service '{service}', offline request {requestId}: {reason}.", innerException)
    {
        RequestId = requestId;
    }

    /// <summary>The request that failed (<c>offline.{partition}.{row}</c>).</summary>
    public string RequestId { get; }
}
