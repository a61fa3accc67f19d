using Microsoft.Extensions.Logging;

namespace Partitioned.Clustering;

public sealed partial class Cluster<TRow, TResult>
{
    private static partial class Log
    {
        [LoggerMessage(EventId = 230, Level = LogLevel.Warning, Message = "Stopping the cluster while disposing it failed.")]
        public static partial void DisposeStopFailed(ILogger logger, Exception exception);
    }
}
