namespace Partitioned.Serving;

/// <summary>
/// The names under which serving publishes metrics (<see cref="System.Diagnostics.Metrics.Meter"/>) and traces
/// (<see cref="System.Diagnostics.ActivitySource"/>), for <c>dotnet-counters</c>, OpenTelemetry and friends.
/// </summary>
/// <remarks>
/// Every instrument is tagged with <see cref="ServiceAttribute"/>; replies and durations also with
/// <see cref="StatusCodeAttribute"/>. Names, units and attributes follow OpenTelemetry's semantic conventions.
/// </remarks>
public static class ServingTelemetry
{
    /// <summary>The meter's name.</summary>
    public const string MeterName = "Partitioned.Serving";

    /// <summary>The activity source's name.</summary>
    public const string ActivitySourceName = "Partitioned.Serving";

    /// <summary>Counter of requests accepted for processing (<c>{request}</c>).</summary>
    public const string Requests = "partitioned.serving.requests";

    /// <summary>Counter of replies sent (<c>{reply}</c>), by HTTP status.</summary>
    public const string Replies = "partitioned.serving.replies";

    /// <summary>Counter of answers to requests that already had one, ignored (<c>{reply}</c>).</summary>
    public const string DuplicateReplies = "partitioned.serving.duplicate_replies";

    /// <summary>Counter of head-node requests handed to a new attempt after the one holding them died (<c>{request}</c>).</summary>
    public const string Replays = "partitioned.serving.replays";

    /// <summary>Up-down counter of requests waiting in queues, at the head node or on a partition (<c>{request}</c>).</summary>
    public const string QueuedRequests = "partitioned.serving.queued_requests";

    /// <summary>Histogram of requests per handler call (<c>{request}</c>).</summary>
    public const string BatchSize = "partitioned.serving.batch.size";

    /// <summary>Histogram of the time from a request's arrival to its reply, in seconds.</summary>
    public const string RequestDuration = "partitioned.serving.request.duration";

    /// <summary>The attribute naming the service.</summary>
    public const string ServiceAttribute = "partitioned.service.name";

    /// <summary>The attribute holding a reply's HTTP status (OpenTelemetry's name).</summary>
    public const string StatusCodeAttribute = "http.response.status_code";
}
