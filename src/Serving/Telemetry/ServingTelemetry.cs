namespace Partitioned.Serving;

/// <summary>
/// The names under which serving publishes metrics (<see cref="System.Diagnostics.Metrics.Meter"/>) and traces
/// (<see cref="System.Diagnostics.ActivitySource"/>), for <c>dotnet-counters</c>, OpenTelemetry and friends.
/// </summary>
/// <remarks>
/// Instruments, all tagged with <c>service</c> (and <c>status</c> where it applies):
/// <c>partitioned.serving.requests</c> (requests accepted for processing),
/// <c>partitioned.serving.replies</c> (replies by HTTP status),
/// <c>partitioned.serving.duplicate_replies</c> (answers after the first, ignored),
/// <c>partitioned.serving.replays</c> (head-node requests handed to a new attempt after their partition died),
/// <c>partitioned.serving.queue_depth</c> (requests waiting),
/// <c>partitioned.serving.batch_size</c> and <c>partitioned.serving.latency</c> (ms, arrival to reply).
/// </remarks>
public static class ServingTelemetry
{
    /// <summary>The meter's name.</summary>
    public const string MeterName = "Partitioned.Serving";

    /// <summary>The activity source's name.</summary>
    public const string ActivitySourceName = "Partitioned.Serving";
}
