using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
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
        await Eventually.TrueAsync(async () => await ClusterProbes.InFlightAsync(cluster, 0) >= 1, "the long request is being handled");
        held.AddRange(Enumerable.Range(0, 3).Select(_ => client.PostAsJsonAsync("serve/slow", new { ms = 10 })));
        await Eventually.TrueAsync(async () => await ClusterProbes.InFlightAsync(cluster, 0) >= 4, "three requests wait in the queue");

        var results = await cluster.StopAsync().WaitAsync(Generous);

        var responses = await Task.WhenAll(held).WaitAsync(Generous);
        responses.Select(r => r.StatusCode).Should().OnlyContain(status => status == HttpStatusCode.ServiceUnavailable);
        foreach (var response in responses)
        {
            (await response.ProblemDetailAsync()).Should().Contain("Partition 0 stopped before service 'slow'");
        }

        (await results.CollectAsync()).Should().Equal(0, 1, 2);
    }

    [Fact]
    public async Task Stop_RequestStillUploadingItsBody_IsServed()
    {
        // No health checks: the in-flight count below must be our request only.
        var options = TestClusters.Options(_logging.Factory) with { HealthCheckInterval = TimeSpan.FromHours(1) };
        await using var cluster = await Clustering.Cluster.StartAsync(TestClusters.Integers(3, 1), TestServers.ServingWith(), options);
        var endpoint = cluster.Hosts[0];
        var body = Encoding.UTF8.GetBytes("""{"foo":"abc","bar":1}""");

        // A raw socket, so the headers and the first bytes of the body are surely on the wire before the stop.
        using var socket = new TcpClient();
        await socket.ConnectAsync(endpoint.Host, endpoint.Port);
        var stream = socket.GetStream();
        var head = $"POST /serve/hello HTTP/1.1\r\nHost: {endpoint.Authority}\r\nContent-Type: application/json\r\nContent-Length: {body.Length}\r\n\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head).Concat(body.Take(5)).ToArray());
        await Eventually.TrueAsync(async () => await ClusterProbes.InFlightAsync(cluster, 0) >= 1, "the request's headers arrived");

        var stopping = cluster.StopAsync();
        await Eventually.TrueAsync(() => !AcceptsConnections(endpoint), "the partition is stopping (it no longer accepts connections)");
        await stream.WriteAsync(body.AsMemory(5));

        using var reader = new StreamReader(stream, Encoding.ASCII);
        var response = await reader.ReadToEndAsync().WaitAsync(Generous);
        response.Should().StartWith("HTTP/1.1 200", "the request was under way when the stop came, so the drain waits for it").And.Contain("""{"fooLength":3}""");
        await stopping.WaitAsync(Generous);
    }

    private static bool AcceptsConnections(Uri endpoint)
    {
        using var socket = new TcpClient();
        try
        {
            socket.Connect(endpoint.Host, endpoint.Port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
