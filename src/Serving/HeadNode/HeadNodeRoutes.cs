using Partitioned.Coordination;

namespace Partitioned.Serving;

/// <summary>
/// The head node's module of the coordinator: the routes partitions call to pull work and send answers
/// (<see cref="HeadNodeIngress.MapPartitionRoutes"/>), for the cluster token only.
/// </summary>
internal sealed class HeadNodeRoutes(HeadNodeIngress ingress) : ICoordinatorModule
{
    public void Map(CoordinatorRoutes routes) => ingress.MapPartitionRoutes(routes.Control);
}
