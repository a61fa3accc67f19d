using Microsoft.Extensions.Logging;

namespace Partitioned.Clustering;

internal sealed partial class WorkerProcess
{
    private static partial class Log
    {
        [LoggerMessage(EventId = 251, Level = LogLevel.Information, Message = "[partition {Partition} attempt {Attempt}] {Line}")]
        public static partial void StandardOutput(ILogger logger, int partition, int attempt, string line);

        [LoggerMessage(EventId = 252, Level = LogLevel.Warning, Message = "[partition {Partition} attempt {Attempt}] {Line}")]
        public static partial void StandardError(ILogger logger, int partition, int attempt, string line);

        [LoggerMessage(EventId = 258, Level = LogLevel.Information, Message = "[executor {Executor}] {Line}")]
        public static partial void ExecutorOutput(ILogger logger, string executor, string line);

        [LoggerMessage(EventId = 259, Level = LogLevel.Warning, Message = "[executor {Executor}] {Line}")]
        public static partial void ExecutorError(ILogger logger, string executor, string line);
    }
}
