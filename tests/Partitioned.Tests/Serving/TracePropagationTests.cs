using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Json;
using Partitioned.Clustering;
using Partitioned.Serving;
using Xunit.Abstractions;

namespace Partitioned.Tests.Serving;

/// <summary>One request is one trace: the client's traceparent flows through the gateway or the ingress to the partition's handling.</summary>
public sealed class TracePropagationTests(ITestOutputHelper output) : IDisposable
{
    private readonly ConcurrentQueue<Activity> _activities = new();
    private readonly ActivityListener _listener = Listen();

    public void Dispose() => _listener.Dispose();

    [Theory]
    [InlineData(ServingMode.Distributed, "serve.relay")]
    [InlineData(ServingMode.HeadNode, "serve.ingress")]
    public async Task ClientTrace_ContinuesThroughTheFront_IntoThePartitionsHandling(ServingMode mode, string front)
    {
        ActivitySource.AddActivityListener(_listener);
        _listener.ActivityStopped = _activities.Enqueue;
        var (loggerFactory, _) = TestLogging.Create(output);
        using var __ = loggerFactory;
        await using var serving = await ServingCluster.StartAsync(TestClusters.Integers(4, 2), TestServers.ServingWith(),
            new ServingOptions { Mode = mode, Services = ["hello"] }, TestClusters.Options(loggerFactory));
        var traceId = ActivityTraceId.CreateRandom();
        var clientSpan = ActivitySpanId.CreateRandom();
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, serving.GetServiceUri("hello")) { Content = JsonContent.Create(new { foo = "trace", bar = 1 }) };
        request.Headers.Add("traceparent", $"00-{traceId}-{clientSpan}-01");

        (await http.SendAsync(request)).EnsureSuccessStatusCode();

        await Eventually.TrueAsync(() => _activities.Any(a => a.OperationName == "serve.batch" && a.TraceId == traceId), "the partition's handling ended in the client's trace");
        var frontSpan = _activities.Single(a => a.OperationName == front && a.TraceId == traceId);
        Ancestors(frontSpan).Should().Contain(clientSpan, "the front continues the client's span");
        var handling = _activities.Single(a => a.OperationName == "serve.batch" && a.TraceId == traceId);
        Ancestors(handling).Should().Contain(frontSpan.SpanId, "the partition's handling descends from the front's span");
        handling.GetTagItem(ServingTelemetry.ServiceAttribute).Should().Be("hello");
    }

    private IEnumerable<ActivitySpanId> Ancestors(Activity activity)
    {
        // Spans in between (the hosts' own request spans) are followed by their parent ids.
        var byId = _activities.Where(a => a.TraceId == activity.TraceId).ToDictionary(static a => a.SpanId);
        for (var parent = activity.ParentSpanId; parent != default; parent = byId.TryGetValue(parent, out var next) ? next.ParentSpanId : default)
        {
            yield return parent;
        }
    }

    private static ActivityListener Listen() => new()
    {
        ShouldListenTo = static source => source.Name is ServingTelemetry.ActivitySourceName or "Microsoft.AspNetCore" or "System.Net.Http",
        Sample = static (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
    };
}
