namespace Partitioned.Clustering;

/// <summary>One service as the dashboard shows it: replies and errors (4xx and 5xx) per second over the last 10 s, latency percentiles in ms over the last 2048 requests, requests queued now.</summary>
internal sealed record ServiceStatsView(string Name, double RequestsPerSecond, double ErrorsPerSecond, double? P50Ms, double? P95Ms, double? P99Ms, long Queued);
