using System.Net.Http.Json;
using Partitioned.Clustering;
using Partitioned.Coordination;
using Partitioned.Routing;
using Xunit.Abstractions;

namespace Partitioned.Tests.Cluster;

public sealed class ClusterClientTests(ITestOutputHelper output)
{
    [Fact]
    public async Task GetClient_PartitionLost_ThrowsPartitionUnavailable_AndFollowsANewEndpoint()
    {
        var (loggerFactory, _) = TestLogging.Create(output);
        using var __ = loggerFactory;
        await using var cluster = await Clustering.Cluster.StartAsync(TestClusters.Integers(4, 2), TestServers.RowsWith(), TestClusters.Options(loggerFactory) with { HealthCheckInterval = TimeSpan.FromHours(1) });
        var client = cluster.GetClient(1);
        var original = cluster.Hosts[1];

        cluster.Directory.MarkLost(1, 0, "simulated loss");
        var act = () => client.GetAsync("rows");
        var error = (await act.Should().ThrowAsync<PartitionUnavailableException>()).Which;
        error.Message.Should().Contain("Partition 1").And.Contain("lost").And.Contain("simulated loss");

        // A newer attempt registering elsewhere (here: partition 0's server standing in) is followed by the same client.
        cluster.Directory.Admit(1, 1).Should().BeTrue();
        cluster.Directory.Register(1, 1, cluster.Hosts[0]).Result.Should().Be(RegistrationResult.Accepted);
        (await client.GetFromJsonAsync<int[]>("rows")).Should().Equal(0, 1);
        client.BaseAddress.Should().Be(new Uri(original, "app/"));
    }

    [Fact]
    public async Task GetClient_AfterStop_FailsWithClearMessage()
    {
        var (loggerFactory, _) = TestLogging.Create(output);
        using var __ = loggerFactory;
        var cluster = await Clustering.Cluster.StartAsync(TestClusters.Integers(2, 1), TestServers.RowsWith(), TestClusters.Options(loggerFactory));
        var client = cluster.GetClient(0);

        await cluster.DisposeAsync();

        cluster.State.Should().Be(ClusterState.Stopped);
        var act = () => client.GetAsync("rows");
        await act.Should().ThrowAsync<InvalidOperationException>().WithMessage("*has stopped*GetClient again*");
    }

    [Fact]
    public async Task Scatter_UnknownPartition_IsAnArgumentError()
    {
        var (loggerFactory, _) = TestLogging.Create(output);
        using var __ = loggerFactory;
        await using var cluster = await Clustering.Cluster.StartAsync(TestClusters.Integers(2, 1), TestServers.RowsWith(), TestClusters.Options(loggerFactory));

        var tooHigh = () => cluster.ScatterGetAsync<int[]>("rows", new ScatterOptions { Partitions = [0, 3] });
        var negative = () => cluster.ScatterGetAsync<int[]>("rows", new ScatterOptions { Partitions = [-1, 0] });

        await tooHigh.Should().ThrowAsync<ArgumentException>().WithMessage("*Partition 3 does not exist*");
        await negative.Should().ThrowAsync<ArgumentException>().WithMessage("*Partition -1 does not exist*");
    }
}
