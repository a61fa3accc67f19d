using Microsoft.Extensions.Logging;

namespace Partitioned.Serving;

internal sealed partial class ServiceProcessor<TRequest, TReply>
{
    private static partial class Log
    {
        [LoggerMessage(EventId = 401, Level = LogLevel.Warning, Message = "Service '{Service}': the drain time ran out while stopping; {Refused} waiting requests were answered 503 and {Running} running handler calls were cancelled.")]
        public static partial void StopTimedOut(ILogger logger, string service, int refused, int running);
    }
}
