using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Partitioned.Server;

/// <summary>
/// An add-on that takes part in a partition server's life beside the user's <c>/app</c> routes: the serving
/// layer is one. Added by the server in <see cref="PartitionServer{TRow, TResult}.ConfigureFeatures"/>.
/// </summary>
/// <remarks>
/// Order: <see cref="StartAsync"/> after the server initialised and before it listens;
/// <see cref="ConfigureServices"/> and <see cref="MapEndpoints"/> while the web application is built;
/// <see cref="StopAsync"/> once shutdown was requested, while Kestrel drains in-flight HTTP requests (it no longer
/// accepts connections, but requests already under way may still reach the feature), before results are produced.
/// </remarks>
public interface IPartitionFeature
{
    /// <summary>Starts the feature (for example its queues and workers). A throw fails the attempt.</summary>
    Task StartAsync(PartitionContext context, CancellationToken cancellationToken);

    /// <summary>Adds services the feature's endpoints need.</summary>
    void ConfigureServices(IServiceCollection services);

    /// <summary>Maps the feature's endpoints at the root of the server (not under <c>/app</c>).</summary>
    /// <param name="endpoints">The application's root.</param>
    /// <param name="control">The token-protected <c>/control</c> group, for routes only the cluster may call.</param>
    void MapEndpoints(IEndpointRouteBuilder endpoints, IEndpointRouteBuilder control);

    /// <summary>
    /// Stops the feature: finish accepted work, and answer (rather than drop) what arrives from now on.
    /// <paramref name="cancellationToken"/> fires when the drain time (<c>PartitionServerOptions.DrainTimeout</c>)
    /// runs out: the feature must then answer what it still holds at once; Kestrel keeps connections open a moment longer for that.
    /// </summary>
    Task StopAsync(CancellationToken cancellationToken);
}
