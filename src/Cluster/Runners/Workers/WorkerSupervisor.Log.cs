using Microsoft.Extensions.Logging;

namespace Partitioned.Clustering;

internal sealed partial class WorkerSupervisor
{
    private static partial class Log
    {
        [LoggerMessage(EventId = 250, Level = LogLevel.Debug, Message = "Partition {Partition} attempt {Attempt}: started process {ProcessId} ({Start}).")]
        public static partial void WorkerStarted(ILogger logger, int partition, int attempt, int processId, WorkerStart start);

        [LoggerMessage(EventId = 253, Level = LogLevel.Warning, Message = "Partition {Partition} attempt {Attempt}: process {ProcessId} did not exit within {Grace}; stopping it by force.")]
        public static partial void KillingAfterGrace(ILogger logger, int partition, int attempt, int processId, TimeSpan grace);

        [LoggerMessage(EventId = 254, Level = LogLevel.Debug, Message = "Partition {Partition} attempt {Attempt}: process {ProcessId} exited with code {ExitCode} after {Elapsed}.")]
        public static partial void WorkerExited(ILogger logger, int partition, int attempt, int processId, int exitCode, TimeSpan elapsed);

        [LoggerMessage(EventId = 255, Level = LogLevel.Debug, Message = "Partition {Partition} attempt {Attempt}: process {ProcessId} stopped; the attempt was abandoned.")]
        public static partial void WorkerAbandoned(ILogger logger, int partition, int attempt, int processId);

        [LoggerMessage(EventId = 256, Level = LogLevel.Warning, Message = "Partition {Partition} attempt {Attempt}: process {ProcessId} posted its results but did not exit within {Grace}; stopping it by force (its results are kept).")]
        public static partial void ExitTimedOut(ILogger logger, int partition, int attempt, int processId, TimeSpan grace);

        [LoggerMessage(EventId = 257, Level = LogLevel.Warning, Message = "Partition {Partition} attempt {Attempt}: process {ProcessId} posted its results, then exited with code {ExitCode}; its results are kept.")]
        public static partial void ExitedBadlyAfterResults(ILogger logger, int partition, int attempt, int processId, int exitCode);
    }
}
