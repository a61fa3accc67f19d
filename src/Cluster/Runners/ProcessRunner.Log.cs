using Microsoft.Extensions.Logging;

namespace Partitioned.Clustering;

public sealed partial class ProcessRunner
{
    private static partial class Log
    {
        [LoggerMessage(EventId = 250, Level = LogLevel.Debug, Message = "Partition {Partition} attempt {Attempt}: started worker process {ProcessId} ({Command}).")]
        public static partial void WorkerStarted(ILogger logger, int partition, int attempt, int processId, WorkerCommand command);

        [LoggerMessage(EventId = 254, Level = LogLevel.Debug, Message = "Partition {Partition} attempt {Attempt}: worker process {ProcessId} exited with code {ExitCode} after {Elapsed}.")]
        public static partial void WorkerExited(ILogger logger, int partition, int attempt, int processId, int exitCode, TimeSpan elapsed);

        [LoggerMessage(EventId = 255, Level = LogLevel.Debug, Message = "Partition {Partition} attempt {Attempt}: worker process {ProcessId} stopped; the attempt was abandoned.")]
        public static partial void WorkerAbandoned(ILogger logger, int partition, int attempt, int processId);

        [LoggerMessage(EventId = 256, Level = LogLevel.Warning, Message = "Partition {Partition} attempt {Attempt}: worker process {ProcessId} posted its results but did not exit within {Grace}; killing it.")]
        public static partial void ExitTimedOut(ILogger logger, int partition, int attempt, int processId, TimeSpan grace);
    }
}
