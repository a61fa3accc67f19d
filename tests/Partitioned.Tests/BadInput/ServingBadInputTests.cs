using Microsoft.Extensions.Logging;
using Partitioned.Serving;
using Xunit.Abstractions;

namespace Partitioned.Tests.BadInput;

/// <summary>
/// The serving bad-input corpus through all three ways in: a partition directly, the gateway (distributed mode) and
/// the head-node ingress. Every case gets its status and a detail that names the problem; then a good request is
/// still answered, so no bad input cost the server anything.
/// </summary>
public sealed class ServingBadInputTests(ITestOutputHelper output) : IDisposable
{
    private const long Limit = 64 * 1024;
    private readonly (ILoggerFactory Factory, CapturingLoggerProvider Logs) _logging = TestLogging.Create(output, LogLevel.Information);

    public void Dispose() => _logging.Factory.Dispose();

    [Theory]
    [InlineData("partition")]
    [InlineData("gateway")]
    [InlineData("ingress")]
    public async Task Corpus_EachCaseGetsItsStatusAndADetailNamingTheProblem_ThenAGoodRequestIsServed(string way)
    {
        var mode = way == "ingress" ? ServingMode.HeadNode : ServingMode.Distributed;
        await using var serving = await ServingCluster.StartAsync(
            TestClusters.Integers(4, 2),
            TestServers.ServingWith(new ServingTestSettings { MaxRequestBodySize = Limit }),
            new ServingOptions { Mode = mode, Services = mode == ServingMode.HeadNode ? ["hello"] : [], MaxRequestBodySize = Limit },
            TestClusters.Options(_logging.Factory) with { HealthCheckInterval = TimeSpan.FromHours(1) });
        using var client = new HttpClient { BaseAddress = way == "partition" ? serving.Cluster.Hosts[0] : serving.Address };

        var good = await BadInputAssertions.RunAsync(client, "serve/hello", ServingBadInputCorpus.For(Limit), output);

        foreach (var (name, response) in good)
        {
            (await response.ReadAsync<HelloReply>()).Should().Be(new HelloReply(3), $"'{name}' is answered by the handler");
        }

        var after = await client.PostAsync("serve/hello", new StringContent("""{"foo":"after","bar":2}""", System.Text.Encoding.UTF8, "application/json"));
        (await after.EnsureSuccessStatusCode().ReadAsync<HelloReply>()).Should().Be(new HelloReply(5));
        _logging.Logs.Text.Should().NotContainEquivalentOf("unhandled exception", "no bad input reaches the handler of last resort");
    }
}
