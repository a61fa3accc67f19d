using Microsoft.Extensions.Logging;
using Partitioned.Coordination;

namespace Partitioned.Clustering;

/// <summary>
/// The cluster's module of the coordinator: the worker routes (<see cref="AttemptEndpoints"/>) of its running
/// <see cref="PartitionJob{TRow, TResult}"/>, for the cluster token only.
/// </summary>
internal sealed class WorkerRoutes<TRow, TResult>(PartitionJob<TRow, TResult> job, ILogger logger) : ICoordinatorModule
{
    public void Map(CoordinatorRoutes routes) => AttemptEndpoints.Map(routes.Control, job, logger);
}
