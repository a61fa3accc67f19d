using Microsoft.Extensions.Logging;

namespace Partitioned.Clustering;

/// <summary>The log events of the attempt lines (<see cref="PartitionLines{TRow, TResult}"/>), on the cluster's logger.</summary>
internal static partial class LinesLog
{
    [LoggerMessage(EventId = 200, Level = LogLevel.Debug, Message = "Launching partition {Partition} attempt {Attempt} (replica {Replica}, {Runner}).")]
    public static partial void AttemptStarting(ILogger logger, int partition, int attempt, int replica, string runner);

    [LoggerMessage(EventId = 201, Level = LogLevel.Warning, Message = "Partition {Partition} attempt {Attempt} failed: {Error}")]
    public static partial void AttemptFailed(ILogger logger, int partition, int attempt, string error);

    [LoggerMessage(EventId = 202, Level = LogLevel.Error, Message = "Partition {Partition} replica {Replica} failed for good after {Attempts} attempts; its line ends.")]
    public static partial void LineFailed(ILogger logger, int partition, int replica, int attempts);

    [LoggerMessage(EventId = 203, Level = LogLevel.Information, Message = "Partition {Partition} attempt {Attempt} died while a rolling update started its successor; attempt {Successor} takes its place.")]
    public static partial void SuccessorAdopted(ILogger logger, int partition, int attempt, int successor);

    [LoggerMessage(EventId = 204, Level = LogLevel.Warning, Message = "The cluster is stopping, and the rolling update it cancelled did not end within {Wait}; stopping without it.")]
    public static partial void RolloutDidNotStop(ILogger logger, TimeSpan wait);
}
