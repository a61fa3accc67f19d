using Partitioned.Coordination;

namespace Partitioned.Serving;

/// <summary>
/// The head node's module of the coordinator: the routes partitions call to pull work and send answers
/// (<see cref="HeadNode.MapPartitionRoutes"/>), for the cluster token only.
/// </summary>
internal sealed class HeadNodeRoutes(HeadNode headNode) : ICoordinatorModule
{
    public void Map(CoordinatorRoutes routes) => headNode.MapPartitionRoutes(routes.Control);
}
