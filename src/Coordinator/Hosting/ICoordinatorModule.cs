namespace Partitioned.Coordination;

/// <summary>
/// A part of the coordinator, added by the assembly that owns it: the coordinator's own routes
/// (<see cref="CoordinatorCore"/>), the worker routes of the cluster's runners (Partitioned.Clustering) and the head
/// node's routes (Partitioned.Serving). Each maps its routes into the coordinator's route groups, so every route it
/// maps is checked like the coordinator's own.
/// </summary>
internal interface ICoordinatorModule
{
    /// <summary>Maps the module's routes.</summary>
    void Map(CoordinatorRoutes routes);
}
