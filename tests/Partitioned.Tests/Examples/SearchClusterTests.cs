using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Partitioned.Clustering;
using Partitioned.Datasets;
using SearchCluster;
using Xunit.Abstractions;

namespace Partitioned.Tests.Examples;

public sealed class SearchClusterTests(ITestOutputHelper output)
{
    private static readonly string[] s_queries =
    [
        .. Corpus.SampleQueries,
        "galaxy", "the galaxy of the telescope", "time", "people world", "quasar supernova nebula comet", "no-such-word galaxy", "plaintiff",
    ];

    [Fact]
    public async Task SearchCluster_RunsAsAProcess_PrintsTimingsAndExitsZero()
    {
        var (exitCode, stdout, stderr) = await ExampleProcess.RunAsync(
            ExampleProcess.DllOf("examples", "SearchCluster"), "--documents 1200 --partitions 2 --rounds 3", TimeSpan.FromSeconds(120));

        output.WriteLine(stdout);
        exitCode.Should().Be(0, stderr);
        stdout.Should().Contain("2 partitions serving after").And.Contain("process runner")
            .And.Contain("index built in").And.Contain("Query \"galaxy telescope\": 10 hits")
            .And.MatchRegex(@"Query latency over 45 scatter-gather queries \(2 partitions, k=10\): p50 [0-9.]+ ms, p95 [0-9.]+ ms")
            .And.Contain("Stopped partition 1: answered");
    }

    [Theory]
    [InlineData("--runner mesos", "--runner must be in-process, process or slurm (was 'mesos').")]
    [InlineData("--local-slurm", "--local-slurm, --slurm-conf and --host go with --runner slurm.")]
    public void Options_BadRunnerChoice_IsRefusedSayingWhy(string arguments, string expected)
    {
        SearchOptions.Parse(arguments.Split(' '), out var error).Should().BeNull();
        error.Should().Be(expected);
    }

    [Fact]
    public async Task DistributedTopK_OnWorkerProcesses_EqualsASingleIndexOverTheWholeCorpus()
    {
        var (loggerFactory, _) = TestLogging.Create(output, LogLevel.Information);
        using var _ = loggerFactory;
        var documents = Corpus.Generate(2000, seed: 7);
        var runner = new ProcessRunner(ProcessRunnerOptions.ForAssembly(ExampleProcess.DllOf("examples", "SearchCluster")));
        var server = SearchServer.Definition.WithSettings(new SearchSettings(CorpusStatistics.Compute(documents)));
        await using var cluster = await Partitioned.Clustering.Cluster.StartAsync(
            PartitionedDataset.FromCollection(documents, 3), server, TestClusters.Options(loggerFactory, runner));
        var search = new DistributedSearch(cluster);

        // The reference: one index over every document, scored with its own statistics.
        var single = Bm25Index.Build(documents);
        var singleSettings = new SearchSettings(single.LocalStatistics);

        foreach (var k in (int[])[1, 10, 25])
        {
            foreach (var query in s_queries)
            {
                var expected = single.Search(Tokenizer.QueryTerms(query), k, singleSettings);
                var actual = await search.SearchAsync(query, k);

                actual.Select(h => (h.DocumentId, h.Score)).Should().Equal(expected.Select(h => (h.DocumentId, h.Score)), $"query \"{query}\" with k={k}");
                expected.Should().HaveCount(k, "every sample query matches at least 25 documents");
            }
        }

        // Without the shipped global statistics, partition-local ones would score (and so rank) differently.
        var slices = await cluster.Dataset.CollectPartitionsAsync();
        var locallyScored = SearchHit.TopK(slices.SelectMany(slice =>
        {
            var index = Bm25Index.Build(slice);
            return index.Search(Tokenizer.QueryTerms("galaxy telescope"), 10, new SearchSettings(index.LocalStatistics));
        }), 10);
        locallyScored.Select(h => h.Score).Should().NotEqual((await search.SearchAsync("galaxy telescope", 10)).Select(h => h.Score));
    }

    [Fact]
    public async Task Search_BadRequest_Returns400SayingWhatIsWrong()
    {
        var (loggerFactory, _) = TestLogging.Create(output);
        using var _ = loggerFactory;
        var documents = Corpus.Generate(50);
        var server = SearchServer.Definition.WithSettings(new SearchSettings(CorpusStatistics.Compute(documents)));
        await using var cluster = await Partitioned.Clustering.Cluster.StartAsync(PartitionedDataset.FromCollection(documents, 1), server, TestClusters.Options(loggerFactory));
        var client = cluster.GetClient(0);

        (await ProblemAsync(client, "search")).Should().Contain("q is required");
        (await ProblemAsync(client, "search?q=%20%20")).Should().Contain("q is required");
        (await ProblemAsync(client, "search?q=the+of")).Should().Contain("no searchable words");
        (await ProblemAsync(client, "search?q=galaxy&k=0")).Should().Contain("k must be a whole number from 1 to 100 (was '0')");
        (await ProblemAsync(client, "search?q=galaxy&k=abc")).Should().Contain("(was 'abc')");
        (await ProblemAsync(client, "search?q=galaxy&k=101")).Should().Contain("(was '101')");
        (await client.GetFromJsonAsync<SearchReply>("search?q=galaxy&k=3"))!.Hits.Should().HaveCountLessThanOrEqualTo(3);
    }

    private static async Task<string> ProblemAsync(HttpClient client, string path)
    {
        using var response = await client.GetAsync(path);
        response.StatusCode.Should().Be(HttpStatusCode.BadRequest, path);
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString()!;
    }
}
