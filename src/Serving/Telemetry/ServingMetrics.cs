using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Partitioned.Serving;

/// <summary>The serving instruments. One static meter: instruments are cheap to share, and tags tell services apart.</summary>
internal static class ServingMetrics
{
    public static readonly Meter Meter = new(ServingTelemetry.MeterName);

    public static readonly ActivitySource Activities = new(ServingTelemetry.ActivitySourceName);

    // Names, units and attributes follow OpenTelemetry's semantic conventions: dotted namespaces, durations in
    // seconds, counts in {curly} units, http.response.status_code for statuses.
    public static readonly Counter<long> Requests = Meter.CreateCounter<long>(ServingTelemetry.Requests, unit: "{request}", description: "Requests accepted for processing.");

    public static readonly Counter<long> Replies = Meter.CreateCounter<long>(ServingTelemetry.Replies, unit: "{reply}", description: "Replies sent, by HTTP status.");

    public static readonly Counter<long> DuplicateReplies = Meter.CreateCounter<long>(ServingTelemetry.DuplicateReplies, unit: "{reply}", description: "Answers to requests that already had one; ignored.");

    public static readonly Counter<long> Replays = Meter.CreateCounter<long>(ServingTelemetry.Replays, unit: "{request}", description: "Requests handed again to a partition after the attempt holding them died.");

    public static readonly Histogram<int> BatchSize = Meter.CreateHistogram<int>(ServingTelemetry.BatchSize, unit: "{request}", description: "Requests per handler call.");

    public static readonly Histogram<double> Duration = Meter.CreateHistogram<double>(
        ServingTelemetry.RequestDuration, unit: "s", description: "Time from a request's arrival to its reply.",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] });

    public static readonly UpDownCounter<long> QueuedRequests = Meter.CreateUpDownCounter<long>(ServingTelemetry.QueuedRequests, unit: "{request}", description: "Requests waiting in queues (at the head node, or on a partition).");

    public static KeyValuePair<string, object?> Service(string name) => new(ServingTelemetry.ServiceAttribute, name);

    /// <summary>Counts a reply; <paramref name="latency"/> is recorded when the request was accepted (null for a refusal before that).</summary>
    public static void CountReply(string service, int status, TimeSpan? latency)
    {
        // Every reply passes here: with nobody listening, skip building (and boxing) the tags.
        if (!Replies.Enabled && !Duration.Enabled)
        {
            return;
        }

        Replies.Add(1, Service(service), new(ServingTelemetry.StatusCodeAttribute, status));
        if (latency is { } elapsed)
        {
            Duration.Record(elapsed.TotalSeconds, Service(service), new(ServingTelemetry.StatusCodeAttribute, status));
        }
    }
}
