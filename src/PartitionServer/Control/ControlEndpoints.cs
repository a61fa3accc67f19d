using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Hosting;
using Partitioned.Protocol;
using Partitioned.Security;

namespace Partitioned.Server;

/// <summary>
/// <c>POST /control/shutdown</c> and <c>GET /control/health</c>, in one group guarded by the cluster token.
/// Shutdown answers 202 at once and stops through the host's lifetime, so the drain that follows never
/// waits on the shutdown request itself.
/// </summary>
internal static class ControlEndpoints
{
    public static RouteGroupBuilder Map(IEndpointRouteBuilder app, IPartitionControl control, ClusterToken token)
    {
        var group = app.MapGroup("/control").AddEndpointFilter(new ClusterTokenFilter(token));
        group.MapGet("/health", () => Results.Json(control.GetHealth(), ProtocolJson.Options));
        group.MapPost("/shutdown", (IHostApplicationLifetime lifetime) =>
        {
            lifetime.StopApplication();
            return Results.Json(control.GetHealth() with { State = "stopping" }, ProtocolJson.Options, statusCode: StatusCodes.Status202Accepted);
        });
        return group;
    }
}
