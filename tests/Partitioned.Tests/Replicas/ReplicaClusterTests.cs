using System.Net.Http.Json;
using Microsoft.Extensions.Logging;
using Partitioned.Clustering;
using Partitioned.Directories;
using Partitioned.Protocol;
using Partitioned.Routing;
using Xunit.Abstractions;

namespace Partitioned.Tests.Replicas;

/// <summary>Replicas of partitions: placement, the directory, clients and results (real worker processes and in-process).</summary>
public sealed class ReplicaClusterTests(ITestOutputHelper output) : IDisposable
{
    private readonly (ILoggerFactory Factory, CapturingLoggerProvider Logs) _logging = TestLogging.Create(output);

    public void Dispose() => _logging.Factory.Dispose();

    [Fact]
    public async Task StartAsync_TwoReplicasPerPartition_RunInTheirOwnProcessesAndShowInTheDirectory()
    {
        await using var cluster = await Partitioned.Clustering.Cluster.StartAsync(
            TestClusters.Integers(8, 2),
            TestServers.ServingWith(),
            TestClusters.Options(_logging.Factory, TestWorkers.Runner()) with { Replicas = 2 });

        var snapshot = cluster.Directory.Current;
        snapshot.IsFullStrength.Should().BeTrue();
        snapshot.ServingReplicaCount.Should().Be(4);
        var pids = new List<int>();
        foreach (var entry in snapshot.Partitions)
        {
            entry.State.Should().Be(PartitionState.Serving);
            entry.Replicas.Should().HaveCount(2).And.OnlyContain(r => r.State == PartitionState.Serving && r.Version == 0);
            entry.Replicas.Select(r => r.Endpoint).Should().OnlyHaveUniqueItems();
            entry.Replicas.Select(r => r.Attempt).Should().OnlyHaveUniqueItems();
            foreach (var replica in entry.Replicas)
            {
                using var direct = new HttpClient { BaseAddress = new Uri(replica.Endpoint!, "app/") };
                var info = (await direct.GetFromJsonAsync<ServerInfo>("info"))!;
                info.Partition.Should().Be(entry.Partition);
                info.Rows.Should().Be(4, "every replica is built from its partition's rows");
                pids.Add(info.ProcessId);
            }
        }

        pids.Should().OnlyHaveUniqueItems("replicas are placed apart: one process each");

        // The coordinator's JSON view shows replicas too.
        using var coordinator = new HttpClient { BaseAddress = cluster.CoordinatorAddress };
        coordinator.DefaultRequestHeaders.Authorization = cluster.Token.CreateAuthorizationHeader();
        var status = (await coordinator.GetFromJsonAsync<StatusResponse>("v1/status"))!;
        status.Partitions.Should().OnlyContain(p => p.Replicas!.Count == 2 && p.Replicas.All(r => r.State == "serving"));

        var results = await cluster.StopAsync();
        results.PartitionCount.Should().Be(2);
        (await results.CollectAsync()).Should().BeEquivalentTo(Enumerable.Range(0, 8), "one result set per partition (replica 0's), not one per replica");
    }

    [Fact]
    public async Task GetClient_ReplicaKilled_RequestsMoveToTheSiblingAndScatterStillAnswersEveryPartition()
    {
        await using var cluster = await Partitioned.Clustering.Cluster.StartAsync(
            TestClusters.Integers(8, 2),
            TestServers.ServingWith(),
            TestClusters.Options(_logging.Factory, TestWorkers.Runner()) with { Replicas = 2, HealthCheckInterval = TimeSpan.FromHours(1) });
        var replicas = cluster.Directory.Current[1].Replicas;
        var victim = await InfoAtAsync(replicas[0].Endpoint!);
        var sibling = await InfoAtAsync(replicas[1].Endpoint!);
        ReplicaProcesses.Kill(victim.ProcessId);

        // The coordinator does not know yet (health checks are off): the client finds out and moves on.
        for (var i = 0; i < 6; i++)
        {
            var info = (await cluster.GetClient(1).GetFromJsonAsync<ServerInfo>("info"))!;
            info.ProcessId.Should().Be(sibling.ProcessId);
        }

        var scatter = await cluster.ScatterGetAsync<ServerInfo>("info", new ScatterOptions { RequireAll = true });
        scatter.Values.Select(v => v.Partition).Should().BeEquivalentTo([0, 1]);
    }

    [Fact]
    public async Task StopAsync_MergeReplicaResults_GetsEveryReplicasResults()
    {
        var cluster = new Cluster<int, int>(TestClusters.Integers(6, 2), TestServers.ServingWith(), TestClusters.Options(_logging.Factory) with { Replicas = 3 })
        {
            MergeReplicaResults = (partition, sets) => [sets.Count, .. sets[0]],
        };
        await using (cluster)
        {
            await cluster.StartAsync();
            cluster.Directory.Current.ServingReplicaCount.Should().Be(6);
            var results = await cluster.StopAsync();
            (await results.CollectPartitionAsync(0)).Should().Equal(3, 0, 1, 2);
        }
    }

    [Fact]
    public void Options_BadReplicaCount_IsRefusedWithTheSettingNamed()
    {
        var act = () => (TestClusters.Options(_logging.Factory) with { Replicas = 0 }).Validate();
        act.Should().Throw<Microsoft.Extensions.Options.OptionsValidationException>().WithMessage("*Replicas must be between 1 and 64 (was 0)*");
    }

    private static async Task<ServerInfo> InfoAtAsync(Uri endpoint)
    {
        using var direct = new HttpClient { BaseAddress = new Uri(endpoint, "app/") };
        return (await direct.GetFromJsonAsync<ServerInfo>("info"))!;
    }
}
