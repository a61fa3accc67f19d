using Microsoft.Extensions.Logging;
using Partitioned.Directories;

namespace Partitioned.Coordination;

public sealed partial class PartitionDirectory
{
    private static partial class Log
    {
        [LoggerMessage(EventId = 100, Level = LogLevel.Debug, Message = "Partition {Partition}: {Kind} (attempt {Attempt}, directory version {Version}).")]
        public static partial void Changed(ILogger logger, int partition, PartitionChangeKind kind, int attempt, long version);

        [LoggerMessage(EventId = 101, Level = LogLevel.Error, Message = "A directory change handler threw for partition {Partition} ({Kind}); the change stands.")]
        public static partial void HandlerFailed(ILogger logger, int partition, PartitionChangeKind kind, Exception exception);
    }
}
