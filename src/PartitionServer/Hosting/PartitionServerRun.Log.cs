using Microsoft.Extensions.Logging;

namespace Partitioned.Server;

internal sealed partial class PartitionServerRun<TRow, TResult>
{
    private static partial class Log
    {
        private static readonly Func<ILogger, int, int, IDisposable?> s_scope =
            LoggerMessage.DefineScope<int, int>("Partition {Partition} attempt {Attempt}");

        public static IDisposable? BeginPartitionScope(ILogger logger, int partition, int attempt) => s_scope(logger, partition, attempt);

        [LoggerMessage(EventId = 30, Level = LogLevel.Debug, Message = "Initialised from {Rows} rows.")]
        public static partial void Initialized(ILogger logger, long rows);

        [LoggerMessage(EventId = 31, Level = LogLevel.Debug, Message = "Listening on {Address}.")]
        public static partial void Listening(ILogger logger, Uri address);

        [LoggerMessage(EventId = 32, Level = LogLevel.Information, Message = "Serving on {Address} (directory version {Version}).")]
        public static partial void Registered(ILogger logger, Uri address, long version);

        [LoggerMessage(EventId = 33, Level = LogLevel.Debug, Message = "Shutdown requested; draining {InFlight} in-flight requests for up to {DrainTimeout}.")]
        public static partial void Draining(ILogger logger, int inFlight, TimeSpan drainTimeout);

        [LoggerMessage(EventId = 34, Level = LogLevel.Information, Message = "Stopped with {Results} result rows.")]
        public static partial void Stopped(ILogger logger, int results);

        [LoggerMessage(EventId = 35, Level = LogLevel.Error, Message = "Attempt failed: {Reason}")]
        public static partial void AttemptFailed(ILogger logger, string reason, Exception exception);

        [LoggerMessage(EventId = 36, Level = LogLevel.Warning, Message = "Disposing the server threw.")]
        public static partial void DisposeFailed(ILogger logger, Exception exception);
    }
}
