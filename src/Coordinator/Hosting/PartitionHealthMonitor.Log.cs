using Microsoft.Extensions.Logging;

namespace Partitioned.Coordination;

internal sealed partial class PartitionHealthMonitor
{
    private static partial class Log
    {
        [LoggerMessage(EventId = 10, Level = LogLevel.Debug, Message = "Partition {Partition} attempt {Attempt}: {Failure} ({Count} in a row).")]
        public static partial void CheckFailed(ILogger logger, int partition, int attempt, int count, string failure);

        [LoggerMessage(EventId = 11, Level = LogLevel.Warning, Message = "Partition {Partition} attempt {Attempt} marked lost after {Count} failed health checks.")]
        public static partial void MarkedLost(ILogger logger, int partition, int attempt, int count);

        [LoggerMessage(EventId = 12, Level = LogLevel.Information, Message = "Partition {Partition} attempt {Attempt} answers health checks again.")]
        public static partial void Recovered(ILogger logger, int partition, int attempt);

        [LoggerMessage(EventId = 13, Level = LogLevel.Warning, Message = "Partition {Partition} attempt {Attempt} suspected ({Failure}): routers move off it while it is checked again.")]
        public static partial void Suspected(ILogger logger, int partition, int attempt, string failure);

        [LoggerMessage(EventId = 14, Level = LogLevel.Debug, Message = "Partition {Partition} attempt {Attempt}: a health check timed out after {Elapsed:0} ms for a limit of {Limit:0} ms; this process stalled, so it does not count.")]
        public static partial void Inconclusive(ILogger logger, int partition, int attempt, double elapsed, double limit);
    }
}
