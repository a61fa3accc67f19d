using Microsoft.Extensions.Logging;

namespace Partitioned.Clustering;

internal sealed partial class ExecutorPool
{
    private static partial class Log
    {
        [LoggerMessage(EventId = 290, Level = LogLevel.Information, Message = "Executor {Executor}: starting ({Sizing}) for partition {Partition} attempt {Attempt}.")]
        public static partial void Starting(ILogger logger, string executor, string sizing, int partition, int attempt);

        [LoggerMessage(EventId = 291, Level = LogLevel.Debug, Message = "Partition {Partition} attempt {Attempt}: placed in executor {Executor} ({Members} of {Slots} slots taken).")]
        public static partial void Placed(ILogger logger, int partition, int attempt, string executor, int members, int slots);

        [LoggerMessage(EventId = 292, Level = LogLevel.Debug, Message = "Executor {Executor}: no attempt needs it any more; retiring it.")]
        public static partial void Retiring(ILogger logger, string executor);

        [LoggerMessage(EventId = 293, Level = LogLevel.Debug, Message = "Executor {Executor} (process {ProcessId}) exited with code {ExitCode}.")]
        public static partial void Exited(ILogger logger, string executor, int processId, int exitCode);

        [LoggerMessage(EventId = 294, Level = LogLevel.Warning, Message = "Executor {Executor}: stopping it by force, since {Reason}.")]
        public static partial void Terminating(ILogger logger, string executor, string reason);

        [LoggerMessage(EventId = 295, Level = LogLevel.Warning, Message = "Partition {Partition} attempt {Attempt} posted its results but did not end in executor {Executor} within {Grace}; its results are kept, and it keeps its slot until it ends.")]
        public static partial void EndTimedOut(ILogger logger, int partition, int attempt, string executor, TimeSpan grace);
    }
}
