using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using Partitioned.Clustering;
using Partitioned.Serving;
using Partitioned.Tests.Cluster;

namespace Partitioned.Tests.Serving;

/// <summary>Runs alone: the serving meter is process-wide, so counts must not mix with other tests.</summary>
[Collection(nameof(SequentialCollection))]
public sealed class ServingTelemetryTests
{
    [Fact]
    public async Task EveryRequestGetsExactlyOneReply_AndMetricsCountRepliesDuplicatesBatchesAndTraces()
    {
        var (loggerFactory, _) = TestLogging.Create(output: null);
        using var __ = loggerFactory;
        using var metrics = new ServingMetricsCapture();
        var activities = new List<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == ServingTelemetry.ActivitySourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllData,
            ActivityStopped = activity => { lock (activities) { activities.Add(activity); } },
        };
        ActivitySource.AddActivityListener(listener);
        await using var cluster = await Clustering.Cluster.StartAsync(TestClusters.Integers(2, 1), TestServers.ServingWith(), TestClusters.Options(loggerFactory));
        using var client = new HttpClient { BaseAddress = cluster.Hosts[0] };
        string[] modes = ["ok", "twice", "early", "fail", "forget", "throw"];

        var responses = await Task.WhenAll(Enumerable.Range(0, 60).Select(i => client.PostAsJsonAsync("serve/faulty", new { mode = modes[i % modes.Length] })));
        var batched = await Task.WhenAll(Enumerable.Range(0, 10).Select(i => client.PostAsJsonAsync("serve/batch", new { foo = "x", bar = i })));

        responses.Select(r => (int)r.StatusCode).Should().BeEquivalentTo(Enumerable.Repeat(new[] { 200, 200, 200, 422, 500, 500 }, 10).SelectMany(x => x));
        metrics.Sum("partitioned.serving.requests", "faulty").Should().Be(60);
        metrics.Sum("partitioned.serving.replies", "faulty").Should().Be(60, "exactly one reply per request");
        metrics.Sum("partitioned.serving.replies", "faulty", 500).Should().Be(20);
        // 'early' answers, waits, then answers again: its duplicate lands after the client already has its reply.
        await Eventually.TrueAsync(() => metrics.Sum("partitioned.serving.duplicate_replies", "faulty") >= 20, "every 'early' handler answered its second time");
        metrics.Sum("partitioned.serving.duplicate_replies", "faulty").Should().Be(20, "'twice' and 'early' each answer twice");
        batched.Should().OnlyContain(r => r.StatusCode == HttpStatusCode.OK);
        metrics.Sum("partitioned.serving.batch.size", "batch").Should().Be(10, "batch sizes add up to the requests batched");
        metrics.Sum("partitioned.serving.queued_requests", "batch").Should().Be(0, "every queued request left the queue");
        lock (activities)
        {
            activities.Should().Contain(a => a.OperationName == "serve.batch" && (string?)a.GetTagItem(ServingTelemetry.ServiceAttribute) == "batch");
            activities.Should().Contain(a => a.OperationName == "serve.batch" && a.Status == ActivityStatusCode.Error);
        }
    }
}
