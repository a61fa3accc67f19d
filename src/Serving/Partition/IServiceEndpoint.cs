using Microsoft.AspNetCore.Http;

namespace Partitioned.Serving;

/// <summary>One service hosted on a partition, as the serving feature drives it (the non-generic face of <see cref="ServiceHost{TRequest, TReply}"/>).</summary>
internal interface IServiceEndpoint
{
    string Name { get; }

    ServiceOptions Options { get; }

    /// <summary>Requests that may still be taken without exceeding the queue capacity.</summary>
    int FreeCapacity { get; }

    void Start(ServingFeature feature);

    Task HandleHttpAsync(HttpContext context);

    Task HandleForwardedAsync(HttpContext context);

    /// <summary>Takes a request pulled from the head node; a body that does not bind is answered 400 at once.</summary>
    void AcceptPulled(WireRequest request, Uri replyTo);

    Task StopAsync(CancellationToken cancellationToken);
}
