using Microsoft.Extensions.Logging;
using Partitioned.Coordination;

namespace Partitioned.Clustering;

/// <summary>
/// The cluster's module of the coordinator: the worker routes (<see cref="AttemptEndpoints"/>) of its run's
/// <see cref="PartitionLines{TRow, TResult}"/>, for the cluster token only.
/// </summary>
internal sealed class WorkerRoutes<TRow, TResult>(PartitionLines<TRow, TResult> lines, ILogger logger) : ICoordinatorModule
{
    public void Map(CoordinatorRoutes routes) => AttemptEndpoints.Map(routes.Control, lines, logger);
}
