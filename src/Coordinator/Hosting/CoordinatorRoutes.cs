using Microsoft.AspNetCore.Routing;

namespace Partitioned.Coordination;

/// <summary>Where a <see cref="ICoordinatorModule"/> maps its routes.</summary>
/// <param name="Root">The coordinator's root, for routes that check their callers themselves (the gRPC directory service).</param>
/// <param name="Read"><c>/v1</c> for the cluster token or a client key: read-only routes.</param>
/// <param name="Control"><c>/v1</c> for the cluster token only: everything that changes or runs something.</param>
internal readonly record struct CoordinatorRoutes(IEndpointRouteBuilder Root, IEndpointRouteBuilder Read, IEndpointRouteBuilder Control);
