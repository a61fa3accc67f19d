using Microsoft.AspNetCore.Routing;
using Partitioned.Coordination;

namespace Partitioned.Tests.Coordinator;

/// <summary>A coordinator module of a test's own routes, mapped into the token-protected <c>/v1</c> group (where the cluster's worker routes go).</summary>
internal sealed class ControlRoutes(Action<IEndpointRouteBuilder> map) : ICoordinatorModule
{
    public void Map(CoordinatorRoutes routes) => map(routes.Control);
}
