using Microsoft.Extensions.Logging;
using Partitioned.Clustering;
using Partitioned.Datasets;
using Partitioned.Security;
using SearchCluster;
using Xunit.Abstractions;

namespace Partitioned.Tests.Remote;

/// <summary>The SearchCluster example in client mode, as a child process, against a search cluster this test runs.</summary>
public sealed class RemoteSearchExampleTests(ITestOutputHelper output)
{
    [Fact]
    public async Task SearchClusterClientMode_WithTheKey_SearchesEveryPartitionFromAnotherProcess()
    {
        var (loggerFactory, _) = TestLogging.Create(output, LogLevel.Warning);
        using var _ = loggerFactory;
        var documents = Corpus.Generate(600, seed: 3);
        var key = ClientKey.Create();
        var server = SearchServer.Definition.WithSettings(new SearchSettings(CorpusStatistics.Compute(documents)));
        await using var cluster = await Partitioned.Clustering.Cluster.StartAsync(
            PartitionedDataset.FromCollection(documents, 2), server, TestClusters.Options(loggerFactory) with { ClientKeys = [key] });
        var expected = await new DistributedSearch(cluster).SearchAsync("galaxy telescope", 10);

        var (exitCode, stdout, stderr) = await ExampleProcess.RunAsync(
            ExampleProcess.DllOf("examples", "SearchCluster"),
            $"--client {cluster.CoordinatorAddress} --query \"galaxy telescope\"",
            TimeSpan.FromSeconds(60),
            new Dictionary<string, string> { [RemoteSearch.KeyVariable] = key.Value });

        output.WriteLine(stdout);
        exitCode.Should().Be(0, stderr);
        stdout.Should().Contain("2 of 2 partitions serving")
            .And.Contain($"Query \"galaxy telescope\": {expected.Count} hits; best: {expected[0].DocumentId}");

        var (refused, _, refusal) = await ExampleProcess.RunAsync(
            ExampleProcess.DllOf("examples", "SearchCluster"), $"--client {cluster.CoordinatorAddress}", TimeSpan.FromSeconds(60),
            new Dictionary<string, string> { [RemoteSearch.KeyVariable] = ClientKey.Create().Value });
        refused.Should().NotBe(0);
        refusal.Should().Contain("refused the client key");
    }
}
