using System.Net;
using System.Net.Http.Json;
using Microsoft.Extensions.Logging;
using Partitioned.Clustering;
using Partitioned.Coordination;
using Partitioned.Directories;
using Partitioned.Serving;
using Partitioned.Tests.Replicas;
using Xunit.Abstractions;

namespace Partitioned.Tests.Serving;

/// <summary>
/// Head-node mode where faults and features meet: replicas re-launched under a stream, a draining attempt during a
/// rolling update, an attempt declared lost that keeps answering, and where the partitions' streams are bound.
/// </summary>
public sealed class HeadNodeFaultTests(ITestOutputHelper output) : IDisposable
{
    private readonly (ILoggerFactory Factory, CapturingLoggerProvider Logs) _logging = TestLogging.Create(output);

    public void Dispose() => _logging.Factory.Dispose();

    [Theory]
    [InlineData(HeadNodeTransport.GrpcStream)]
    [InlineData(HeadNodeTransport.HttpLongPoll)]
    public async Task TwoReplicas_OneReplaced_TheOtherKeepsTakingWork(HeadNodeTransport transport)
    {
        await using var serving = await StartAsync(replicas: 2, transport, TestWorkers.Runner());
        using var client = new HttpClient { BaseAddress = serving.Address, Timeout = TimeSpan.FromSeconds(60) };
        var directory = serving.Cluster.Directory;

        // The replica with the lower attempt dies and comes back with a newer attempt than its sibling runs.
        var victim = directory.Current[0].Replicas.MinBy(static r => r.Attempt)!;
        using (var direct = new HttpClient { BaseAddress = new Uri(victim.Endpoint!, "app/") })
        {
            ReplicaProcesses.Kill((await direct.GetFromJsonAsync<ServerInfo>("info"))!.ProcessId);
        }

        await directory.WaitUntilAsync(s => s[0].Replicas[victim.Replica] is { State: PartitionState.Serving } r && r.Attempt > victim.Attempt, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(60));
        var sibling = directory.Current[0].Replicas[1 - victim.Replica].Attempt;
        sibling.Should().BeLessThan(directory.Current[0].Replicas[victim.Replica].Attempt);

        // Waves of requests until the replica with the older attempt answers one: it is not stale, its sibling's
        // re-launch does not fence it (before the fix it was refused and stopped taking work for good).
        await Eventually.TrueAsync(
            async () => (await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => PostWorkAsync(client, "work", Ms: 100)))).Any(r => r.Attempt == sibling),
            "the replica with the older attempt takes work",
            TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task RollingUpdate_RequestsTheOldAttemptHolds_AreAnsweredByIt_NotRunAgain()
    {
        await using var serving = await StartAsync(replicas: 1, HeadNodeTransport.GrpcStream);
        using var client = new HttpClient { BaseAddress = serving.Address, Timeout = TimeSpan.FromSeconds(60) };
        var keys = Enumerable.Range(0, 8).Select(_ => Guid.NewGuid().ToString("N")).ToList();
        var requests = keys.Select(key => client.PostAsJsonAsync("serve/work-once", new WorkRequest(key, Ms: 1_500))).ToList();
        await Eventually.TrueAsync(() => keys.All(k => WorkLedger.Local.RunsOf(k).Count > 0), "the old attempts hold every request");

        await serving.Cluster.UpdateAsync(TestServers.ServingWith(new ServingTestSettings { Version = "v2" }));
        var responses = await Task.WhenAll(requests);

        responses.Should().OnlyContain(static r => r.StatusCode == HttpStatusCode.OK);
        keys.Should().OnlyContain(k => WorkLedger.Local.RunsOf(k).Count == 1, "a draining attempt answers what it holds; nothing is replayed to its successor");
    }

    [Fact]
    public async Task AttemptDeclaredLost_ItsRequestsReplayed_ItsLateAnswersAreRefused()
    {
        await using var serving = await StartAsync(replicas: 1, HeadNodeTransport.GrpcStream, relaunch: false);
        using var client = new HttpClient { BaseAddress = serving.Address, Timeout = TimeSpan.FromSeconds(60) };
        var key = Guid.NewGuid().ToString("N");
        var request = client.PostAsJsonAsync("serve/work", new WorkRequest(key, Ms: 1_500));
        await Eventually.TrueAsync(() => WorkLedger.Local.RunsOf(key).Count > 0, "a partition runs the request");
        var holder = WorkLedger.Local.RunsOf(key)[0];

        // Declared lost while alive (a node cut off): its request goes to the other partition, and its own answer,
        // which comes first, is refused.
        serving.Cluster.Directory.MarkLost(holder.Partition, holder.Attempt, "declared lost by the test").Should().BeTrue();
        var response = await request;

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        var reply = (await response.Content.ReadFromJsonAsync<WorkReply>())!;
        reply.Partition.Should().NotBe(holder.Partition, "the lost attempt's answer is fenced; the replayed request's answer counts");
        WorkLedger.Local.RunsOf(key).Should().HaveCount(2);
        _logging.Logs.Text.Should().Contain($"fenced answer for request").And.Contain($"from partition {holder.Partition} attempt {holder.Attempt}");
    }

    [Fact]
    public async Task Streams_AreBoundAndAdvertisedByTheCoordinatorsRule_NotTheFronts()
    {
        int streamPort;
        using (var probe = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Any, 0))
        {
            probe.Start();
            streamPort = ((System.Net.IPEndPoint)probe.LocalEndpoint).Port;
        }

        await using var serving = await ServingCluster.StartAsync(
            TestClusters.Integers(8, 2),
            TestServers.ServingWith(),
            new ServingOptions { Mode = ServingMode.HeadNode, Services = ["work"], BindAddress = "127.0.0.1", HeadNodeStreamPort = streamPort },
            TestClusters.Options(_logging.Factory) with { CoordinatorBindAddress = "0.0.0.0", CoordinatorAdvertisedHost = "127.0.0.1" });
        using var client = new HttpClient { BaseAddress = serving.Address };

        serving.HeadNode!.StreamAddress!.Host.Should().Be(serving.Cluster.CoordinatorAddress.Host);
        serving.HeadNode.StreamAddress.Port.Should().Be(streamPort, "a firewall between nodes and driver can allow a fixed port");
        _logging.Logs.Text.Should().Contain($"Now listening on: http://0.0.0.0:{serving.HeadNode.StreamAddress.Port}", "the stream listener binds where the coordinator does");
        (await PostWorkAsync(client, "work", Ms: 1)).Key.Should().NotBeEmpty();
    }

    private static async Task<WorkReply> PostWorkAsync(HttpClient client, string service, int Ms)
    {
        var response = await client.PostAsJsonAsync("serve/" + service, new WorkRequest(Guid.NewGuid().ToString("N"), Ms));
        response.StatusCode.Should().Be(HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<WorkReply>())!;
    }

    private async Task<ServingCluster<int, int>> StartAsync(int replicas, HeadNodeTransport transport, IPartitionRunner? runner = null, bool relaunch = true) =>
        await ServingCluster.StartAsync(
            TestClusters.Integers(8, runner is null ? 2 : 1),
            TestServers.ServingWith(),
            new ServingOptions { Mode = ServingMode.HeadNode, Services = ["work", "work-once"], HeadNodeTransport = transport, Deadline = TimeSpan.FromSeconds(30) },
            TestClusters.Options(_logging.Factory, runner) with
            {
                Replicas = replicas,
                HealthCheckInterval = TimeSpan.FromHours(1),
                // Without re-launches a lost attempt stays alive and keeps answering, as on a node cut off the network.
                MaxAttempts = relaunch ? 4 : 1,
            });
}
