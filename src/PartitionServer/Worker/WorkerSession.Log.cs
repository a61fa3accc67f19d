using Microsoft.Extensions.Logging;

namespace Partitioned.Server;

internal sealed partial class WorkerSession
{
    private static partial class Log
    {
        [LoggerMessage(EventId = 40, Level = LogLevel.Debug, Message = "Worker for {Who} (server {Server}) starting; coordinator {Coordinator}.")]
        public static partial void Starting(ILogger logger, string who, string server, Uri coordinator);

        [LoggerMessage(EventId = 41, Level = LogLevel.Warning, Message = "The driver is gone ({Reason}); abandoning the attempt.")]
        public static partial void DriverGone(ILogger logger, string reason);

        [LoggerMessage(EventId = 42, Level = LogLevel.Warning, Message = "Attempt abandoned: {Reason}.")]
        public static partial void Abandoned(ILogger logger, string reason);

        [LoggerMessage(EventId = 43, Level = LogLevel.Information, Message = "The coordinator assigned attempt {Attempt} of partition {Partition} to this worker.")]
        public static partial void Assigned(ILogger logger, int partition, int attempt);
    }
}
