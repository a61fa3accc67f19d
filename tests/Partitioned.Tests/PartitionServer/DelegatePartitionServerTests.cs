using System.Net.Http.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Partitioned.Clustering;
using Partitioned.Datasets;
using Partitioned.Server;
using Xunit.Abstractions;

namespace Partitioned.Tests.PartitionServer;

public sealed class DelegatePartitionServerTests(ITestOutputHelper output)
{
    [Fact]
    public async Task DelegateServer_StateIsInjectedIntoRoutes_AndProducesResults()
    {
        var (loggerFactory, _) = TestLogging.Create(output);
        using var __ = loggerFactory;
        var definition = PartitionServerDefinition.Create("words", () => new DelegatePartitionServer<string, WordIndex, KeyValuePair<string, int>>(
            initialize: async (rows, context, token) => new WordIndex(context.Partition, await rows.ToListAsync(token)),
            mapRoutes: app => app.MapGet("/has/{word}", (string word, WordIndex index) => Results.Ok(new { index.Partition, found = index.Words.Contains(word) })),
            produceResults: index => index.Words.Select(w => KeyValuePair.Create(w, index.Partition))));
        var dataset = PartitionedDataset.FromCollection(["apple", "banana", "cherry", "damson"], 2);

        await using var cluster = await Clustering.Cluster.StartAsync(dataset, definition, TestClusters.Options(loggerFactory));
        var found = await cluster.GetClient(1).GetFromJsonAsync<HasReply>("has/cherry");
        var missing = await cluster.GetClient(0).GetFromJsonAsync<HasReply>("has/cherry");
        var results = await cluster.StopAsync();

        found.Should().Be(new HasReply(1, true));
        missing.Should().Be(new HasReply(0, false));
        (await results.CollectAsync()).Should().Equal(
            KeyValuePair.Create("apple", 0), KeyValuePair.Create("banana", 0), KeyValuePair.Create("cherry", 1), KeyValuePair.Create("damson", 1));
    }

    private sealed record WordIndex(int Partition, List<string> Words);

    private sealed record HasReply(int Partition, bool Found);
}
