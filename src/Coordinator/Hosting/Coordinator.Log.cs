using Microsoft.Extensions.Logging;

namespace Partitioned.Coordination;

public sealed partial class Coordinator
{
    private static partial class Log
    {
        [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "Coordinator listening on {Address} for {PartitionCount} partitions.")]
        public static partial void Started(ILogger logger, Uri address, int partitionCount);

        [LoggerMessage(EventId = 2, Level = LogLevel.Information, Message = "Coordinator on {Address} stopped.")]
        public static partial void Stopped(ILogger logger, Uri address);
    }
}
