
namespace Partitioned.Server;

/// <summary>A worker process could not start its attempt (it exits with <see cref="WorkerExitCodes.InvalidLaunch"/>).</summary>
internal sealed class WorkerLaunchException(string message) : PartitionedException(message);
