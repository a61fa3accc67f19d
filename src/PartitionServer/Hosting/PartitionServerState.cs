namespace Partitioned.Server;

/// <summary>Where a partition server is in its lifecycle, as <c>/control/health</c> reports it.</summary>
internal enum PartitionServerState
{
    Initializing,
    Serving,
    Stopping,
    Stopped,
}
