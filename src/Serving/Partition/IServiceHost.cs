using Microsoft.AspNetCore.Http;

namespace Partitioned.Serving;

/// <summary>One service hosted on a partition, as the serving feature drives it (the non-generic face of <see cref="ServiceHost{TRequest, TReply}"/>).</summary>
internal interface IServiceHost
{
    string Name { get; }

    ServiceOptions Options { get; }

    /// <summary>The way in the head-node transports hand requests to.</summary>
    IHeadNodeWayIn HeadNode { get; }

    void Start(ServingFeature feature);

    /// <summary><c>POST /serve/{name}</c>.</summary>
    Task ServeAsync(HttpContext context);

    /// <summary><c>POST /control/serving/{name}/forward</c>.</summary>
    Task AcceptForwardedAsync(HttpContext context);

    Task StopAsync(CancellationToken cancellationToken);
}
