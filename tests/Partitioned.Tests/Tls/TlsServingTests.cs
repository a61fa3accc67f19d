using System.Net;
using System.Net.Http.Json;
using Microsoft.Extensions.Logging;
using Partitioned.Coordination;
using Partitioned.Serving;
using Xunit.Abstractions;

namespace Partitioned.Tests.Tls;

/// <summary>Serving under automatic TLS: the front, the gateway's hop, head-node streams and long polls, and a shuffle between partitions.</summary>
public sealed class TlsServingTests(ITestOutputHelper output) : IDisposable
{
    private readonly (ILoggerFactory Factory, CapturingLoggerProvider Logs) _logging = TestLogging.Create(output);

    public void Dispose() => _logging.Factory.Dispose();

    public static TheoryData<ServingMode, HeadNodeTransport> Modes => new()
    {
        { ServingMode.Distributed, HeadNodeTransport.GrpcStream },
        { ServingMode.HeadNode, HeadNodeTransport.GrpcStream },
        { ServingMode.HeadNode, HeadNodeTransport.HttpLongPoll },
    };

    [Theory]
    [MemberData(nameof(Modes))]
    public async Task Serve_UnderTls_AnswersThroughTheFront_AndAShuffleCrossesPartitions(ServingMode mode, HeadNodeTransport transport)
    {
        var security = TransportSecurity.Automatic();
        await using var serving = await ServingCluster.StartAsync(
            TestClusters.Integers(4, 2),
            TestServers.ServingWith(),
            new ServingOptions { Mode = mode, HeadNodeTransport = transport, Services = ["hello", "route"] },
            TestClusters.Options(_logging.Factory) with { Transport = security });
        using var client = new HttpClient(security.CreateHttpHandler()) { BaseAddress = serving.Address };

        var hello = await client.PostAsJsonAsync("serve/hello", new HelloRequest("abcd", 1));
        var routed = await Task.WhenAll(Enumerable.Range(0, 4).Select(i => client.PostAsJsonAsync("serve/route", new RouteRequest(i % 2, $"to {i % 2}"))));

        serving.Address.Scheme.Should().Be("https");
        hello.StatusCode.Should().Be(HttpStatusCode.OK);
        (await hello.Content.ReadFromJsonAsync<HelloReply>())!.FooLength.Should().Be(4);
        foreach (var (response, i) in routed.Select((r, i) => (r, i)))
        {
            response.StatusCode.Should().Be(HttpStatusCode.OK);
            (await response.Content.ReadFromJsonAsync<RouteReply>())!.ServedBy.Should().Be(i % 2);
        }
    }

    [Fact]
    public async Task Front_WithoutTheClustersAuthority_IsRefused()
    {
        await using var serving = await ServingCluster.StartAsync(
            TestClusters.Integers(2, 1),
            TestServers.ServingWith(),
            new ServingOptions(),
            TestClusters.Options(_logging.Factory) with { Transport = TransportSecurity.Automatic() });
        using var plain = new HttpClient { BaseAddress = serving.Address };

        var send = () => plain.PostAsJsonAsync("serve/hello", new HelloRequest("x", 1));

        (await send.Should().ThrowAsync<HttpRequestException>()).Which.HttpRequestError.Should().Be(HttpRequestError.SecureConnectionError);
    }
}
