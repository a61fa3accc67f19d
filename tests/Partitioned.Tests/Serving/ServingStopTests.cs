using System.Net;
using System.Net.Http.Json;
using Partitioned.Clustering;
using Partitioned.Server;
using Partitioned.Tests.Cluster;
using Xunit.Abstractions;

namespace Partitioned.Tests.Serving;

/// <summary>What a stopping partition does with the serving requests it holds.</summary>
public sealed class ServingStopTests(ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan Generous = TimeSpan.FromSeconds(30);
    private readonly (Microsoft.Extensions.Logging.ILoggerFactory Factory, CapturingLoggerProvider Logs) _logging = TestLogging.Create(output);

    public void Dispose() => _logging.Factory.Dispose();

    [Fact]
    public async Task Stop_HandlerOutlastsTheDrain_HeldRequestsGet503_AndStopStillEnds()
    {
        // One handler slot held for a minute, three requests queued behind it, half a second to drain.
        var settings = new ServingTestSettings { SlowConcurrency = 1, SlowQueueCapacity = 8, SlowDeadline = TimeSpan.FromMinutes(2) };
        var options = TestClusters.Options(_logging.Factory) with { Server = new PartitionServerOptions { DrainTimeout = TimeSpan.FromMilliseconds(500) } };
        await using var cluster = await Clustering.Cluster.StartAsync(TestClusters.Integers(3, 1), TestServers.ServingWith(settings), options);
        using var client = new HttpClient { BaseAddress = cluster.Hosts[0], Timeout = Generous };
        var held = new List<Task<HttpResponseMessage>> { client.PostAsJsonAsync("serve/slow", new { ms = 60_000 }) };
        await Eventually.TrueAsync(async () => await ClusterProbes.InFlightAsync(cluster, 0) >= 2, "the long request is being handled");
        held.AddRange(Enumerable.Range(0, 3).Select(_ => client.PostAsJsonAsync("serve/slow", new { ms = 10 })));
        await Eventually.TrueAsync(async () => await ClusterProbes.InFlightAsync(cluster, 0) >= 5, "three requests wait in the queue");

        var results = await cluster.StopAsync().WaitAsync(Generous);

        var responses = await Task.WhenAll(held).WaitAsync(Generous);
        responses.Select(r => r.StatusCode).Should().OnlyContain(status => status == HttpStatusCode.ServiceUnavailable);
        foreach (var response in responses)
        {
            (await response.ProblemDetailAsync()).Should().Contain("Partition 0 stopped before service 'slow'");
        }

        (await results.CollectAsync()).Should().Equal(0, 1, 2);
    }
}
