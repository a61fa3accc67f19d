using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Partitioned.Serving;

/// <summary>The serving instruments. One static meter: instruments are cheap to share, and tags tell services apart.</summary>
internal static class ServingMetrics
{
    public static readonly Meter Meter = new(ServingTelemetry.MeterName);

    public static readonly ActivitySource Activities = new(ServingTelemetry.ActivitySourceName);

    public static readonly Counter<long> Requests = Meter.CreateCounter<long>("partitioned.serving.requests", description: "Requests accepted for processing.");

    public static readonly Counter<long> Replies = Meter.CreateCounter<long>("partitioned.serving.replies", description: "Replies sent, by HTTP status.");

    public static readonly Counter<long> DuplicateReplies = Meter.CreateCounter<long>("partitioned.serving.duplicate_replies", description: "Answers to requests that already had one; ignored.");

    public static readonly Counter<long> Replays = Meter.CreateCounter<long>("partitioned.serving.replays", description: "Requests handed again to a partition after the attempt holding them died.");

    public static readonly Histogram<int> BatchSize = Meter.CreateHistogram<int>("partitioned.serving.batch_size", description: "Requests per handler call.");

    public static readonly Histogram<double> Latency = Meter.CreateHistogram<double>("partitioned.serving.latency", unit: "ms", description: "Time from arrival to reply.");

    public static readonly UpDownCounter<long> QueueDepth = Meter.CreateUpDownCounter<long>("partitioned.serving.queue_depth", description: "Requests waiting in queues.");

    public static KeyValuePair<string, object?> Service(string name) => new("service", name);

    /// <summary>Counts a reply; <paramref name="latency"/> is recorded when the request was accepted (null for a refusal before that).</summary>
    public static void CountReply(string service, int status, TimeSpan? latency)
    {
        // Every reply passes here: with nobody listening, skip building (and boxing) the tags.
        if (!Replies.Enabled && !Latency.Enabled)
        {
            return;
        }

        Replies.Add(1, Service(service), new("status", status));
        if (latency is { } elapsed)
        {
            Latency.Record(elapsed.TotalMilliseconds, Service(service));
        }
    }
}
