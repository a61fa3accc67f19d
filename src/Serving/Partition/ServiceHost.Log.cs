using Microsoft.Extensions.Logging;

namespace Partitioned.Serving;

internal sealed partial class ServiceHost<TRequest, TReply>
{
    private static partial class Log
    {
        [LoggerMessage(EventId = 400, Level = LogLevel.Error, Message = "Service '{Service}': the handler threw on requests {RequestIds}; each unanswered one got 500 with its id.")]
        public static partial void HandlerFailed(ILogger logger, string service, string requestIds, Exception exception);

        [LoggerMessage(EventId = 401, Level = LogLevel.Warning, Message = "Service '{Service}': the drain time ran out while stopping; {Refused} waiting requests were answered 503 and {Running} running handler calls were cancelled.")]
        public static partial void StopTimedOut(ILogger logger, string service, int refused, int running);

        [LoggerMessage(EventId = 402, Level = LogLevel.Error, Message = "Service '{Service}': request {RequestId} pulled from the head node could not be taken; it was answered 500, the rest of its batch was taken.")]
        public static partial void PulledRequestFailed(ILogger logger, string service, string requestId, Exception exception);
    }
}
