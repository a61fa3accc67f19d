using Microsoft.Extensions.Logging;

namespace Partitioned.Clustering;

internal sealed partial class ClusterRun<TRow, TResult>
{
    private static partial class Log
    {
        [LoggerMessage(EventId = 210, Level = LogLevel.Information, Message = "Cluster {ClusterId}: launching {Partitions} partitions ({Runner}); coordinator on {Coordinator}.")]
        public static partial void Starting(ILogger logger, string clusterId, int partitions, string runner, Uri coordinator);

        [LoggerMessage(EventId = 211, Level = LogLevel.Information, Message = "Cluster {ClusterId}: all {Partitions} partitions serving.")]
        public static partial void Started(ILogger logger, string clusterId, int partitions);

        [LoggerMessage(EventId = 212, Level = LogLevel.Information, Message = "Cluster {ClusterId}: stopping {Serving} serving partitions.")]
        public static partial void Stopping(ILogger logger, string clusterId, int serving);

        [LoggerMessage(EventId = 213, Level = LogLevel.Warning, Message = "Cluster {ClusterId}: partitions did not stop within {StopTimeout}; abandoning them.")]
        public static partial void StopTimedOut(ILogger logger, string clusterId, TimeSpan stopTimeout);

        [LoggerMessage(EventId = 214, Level = LogLevel.Warning, Message = "Partition {Partition}: {Problem}")]
        public static partial void ShutdownFailed(ILogger logger, int partition, string problem);

        [LoggerMessage(EventId = 215, Level = LogLevel.Information, Message = "Cluster {ClusterId} stopped.")]
        public static partial void Stopped(ILogger logger, string clusterId);
    }
}
