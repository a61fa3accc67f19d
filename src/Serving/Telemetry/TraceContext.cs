using System.Diagnostics;
using Microsoft.AspNetCore.Http;

namespace Partitioned.Serving;

/// <summary>
/// W3C trace context across the serving hops (client, gateway or ingress, partition), so one request is one trace
/// even when it crosses processes: taken from the current activity or the incoming <c>traceparent</c> header, and
/// carried on in pulled head-node requests.
/// </summary>
internal static class TraceContext
{
    /// <summary>The context a request arrived in: the current activity's (the host created one), else its <c>traceparent</c> header; default when none.</summary>
    public static ActivityContext Of(HttpContext context)
    {
        if (Activity.Current is { } current)
        {
            return current.Context;
        }

        var headers = context.Request.Headers;
        return ActivityContext.TryParse(headers.TraceParent, headers.TraceState, isRemote: true, out var parsed) ? parsed : default;
    }

    /// <summary>A <c>traceparent</c> value, or null for no context.</summary>
    public static string? Format(ActivityContext context) =>
        context == default ? null : $"00-{context.TraceId.ToHexString()}-{context.SpanId.ToHexString()}-{((context.TraceFlags & ActivityTraceFlags.Recorded) != 0 ? "01" : "00")}";

    /// <summary>The context a <c>traceparent</c> value names; default when absent or malformed (a bad header never fails a request).</summary>
    public static ActivityContext Parse(string? traceParent) =>
        traceParent is not null && ActivityContext.TryParse(traceParent, traceState: null, isRemote: true, out var parsed) ? parsed : default;
}
