using System.Net.Http.Json;
using Microsoft.Extensions.Logging;
using Partitioned.Clustering;
using Partitioned.Coordination;
using Partitioned.Serving;
using Xunit.Abstractions;

namespace Partitioned.Tests.Replicas;

/// <summary>Rolling updates under load (real worker processes, real HTTP through the gateway).</summary>
public sealed class ReplicaRollingUpdateTests(ITestOutputHelper output) : IDisposable
{
    private readonly (ILoggerFactory Factory, CapturingLoggerProvider Logs) _logging = TestLogging.Create(output);

    public void Dispose() => _logging.Factory.Dispose();

    [Theory]
    [InlineData(1, "version")]
    [InlineData(2, "version")]
    [InlineData(1, "version-once")]
    public async Task UpdateAsync_UnderLoad_EveryAnswerIs200FromTheOldOrTheNewVersion(int replicas, string service)
    {
        await using var serving = await StartAsync(replicas);
        using var client = new HttpClient { BaseAddress = serving.Address };
        var load = SteadyLoad.Start(client, "serve/" + service, new { ms = 10 }, loops: 6);
        await load.WaitForAnswersAsync(50, TimeSpan.FromSeconds(60));

        var version = await serving.Cluster.UpdateAsync(TestServers.ServingWith(new ServingTestSettings { Version = "v2" }));
        await load.WaitForAnswersAsync(50, TimeSpan.FromSeconds(60));
        await load.StopAsync();

        version.Should().Be(1);
        serving.Cluster.Version.Should().Be(1);
        output.WriteLine($"{load.Answers.Count} answers, {load.Answers.Count(a => a.Status != 200)} not 200");
        load.Errors.Should().BeEmpty();
        load.Answers.Should().OnlyContain(a => a.Status == 200, "a replica is stopped only after its successor serves, and it drains what it holds");
        load.Answers.Select(a => a.Reply!.Version).Distinct().Should().BeSubsetOf(["v1", "v2"]);
        load.Answers.TakeLast(20).Should().OnlyContain(a => a.Reply!.Version == "v2");
        serving.Cluster.Directory.Current.Partitions.SelectMany(p => p.Replicas).Should().OnlyContain(r => r.Version == 1 && r.State == PartitionState.Serving);
    }

    [Fact]
    public async Task UpdateAsync_BrokenNewVersion_StopsWithTheErrorAndTheOldVersionServes()
    {
        await using var serving = await StartAsync(replicas: 1);
        using var client = new HttpClient { BaseAddress = serving.Address };
        var load = SteadyLoad.Start(client, "serve/version", new { ms = 10 }, loops: 4);
        await load.WaitForAnswersAsync(20, TimeSpan.FromSeconds(60));

        var update = () => serving.Cluster.UpdateAsync(TestServers.ServingWith(new ServingTestSettings { Version = "v2", FailInit = true }));
        var failure = (await update.Should().ThrowAsync<RollingUpdateException>()).Which;
        await load.WaitForAnswersAsync(20, TimeSpan.FromSeconds(60));
        await load.StopAsync();

        failure.Partition.Should().Be(0);
        failure.Replica.Should().Be(0);
        failure.Replaced.Should().Be(0);
        failure.Message.Should().Contain("broken on purpose").And.Contain("still serves the old version");
        serving.Cluster.Version.Should().Be(0);
        load.Answers.Should().OnlyContain(a => a.Status == 200 && a.Reply!.Version == "v1");
        serving.Cluster.Directory.Current.Partitions.SelectMany(p => p.Replicas).Should().OnlyContain(r => r.Version == 0 && r.State == PartitionState.Serving);

        // The cluster stays usable: a good version rolls out afterwards.
        (await serving.Cluster.UpdateAsync(TestServers.ServingWith(new ServingTestSettings { Version = "v3" }))).Should().Be(1);
    }

    [Fact]
    public async Task UpdateAsync_OldReplicaDiesWhileItsSuccessorStarts_TheSuccessorTakesItsPlace()
    {
        await using var serving = await StartAsync(replicas: 1);
        var update = serving.Cluster.UpdateAsync(TestServers.ServingWith(new ServingTestSettings { Version = "v2", InitDelay = TimeSpan.FromSeconds(3) }));
        await KillOldWhileSuccessorStartsAsync(serving);

        (await update.WaitAsync(TimeSpan.FromSeconds(90))).Should().Be(1, "the rollout went on with the successor instead of failing");
        _logging.Logs.Text.Should().Contain("takes its place");
        serving.Cluster.Directory.Current.Partitions.SelectMany(static p => p.Replicas).Should().OnlyContain(static r => r.Version == 1 && r.State == PartitionState.Serving);
        using var client = new HttpClient { BaseAddress = serving.Address };
        for (var i = 0; i < 4; i++)
        {
            var reply = await client.PostAsJsonAsync("serve/version", new { ms = 0 });
            (await reply.Content.ReadFromJsonAsync<VersionReply>())!.Version.Should().Be("v2");
        }

        var results = await serving.StopAsync();
        (await results.CollectAsync()).Should().HaveCount(8, "both partitions' lines are intact and produce their results");
    }

    [Fact]
    public async Task UpdateAsync_OldReplicaDiesAndTheNewVersionIsBroken_RolloutStops_TheOldVersionIsRelaunched()
    {
        await using var serving = await StartAsync(replicas: 1);
        var update = serving.Cluster.UpdateAsync(TestServers.ServingWith(new ServingTestSettings { Version = "v2", InitDelay = TimeSpan.FromSeconds(2), FailInit = true }));
        var victim = await KillOldWhileSuccessorStartsAsync(serving);

        var act = () => update.WaitAsync(TimeSpan.FromSeconds(90));
        var failure = (await act.Should().ThrowAsync<RollingUpdateException>()).Which;
        failure.Message.Should().Contain("broken on purpose");
        using var ready = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await serving.Cluster.Directory.WaitUntilAsync(s => s[0].Replicas[0] is { State: PartitionState.Serving } r && r.Attempt > victim && r.Version == 0, ready.Token);
        serving.Cluster.Version.Should().Be(0);
        using var client = new HttpClient { BaseAddress = serving.Address };
        var reply = await client.PostAsJsonAsync("serve/version", new { ms = 0 });
        (await reply.Content.ReadFromJsonAsync<VersionReply>())!.Version.Should().Be("v1");
    }

    // Waits until the rollout launched partition 0's successor, then kills partition 0's old worker; returns its attempt.
    private async Task<int> KillOldWhileSuccessorStartsAsync(ServingCluster<int, int> serving)
    {
        var old = serving.Cluster.Directory.Current[0].Replicas[0];
        await Eventually.TrueAsync(() => _logging.Logs.Text.Contains($"Launching partition 0 attempt {old.Attempt + 1}", StringComparison.Ordinal), "the rollout launched the successor", TimeSpan.FromSeconds(30));
        using var direct = new HttpClient { BaseAddress = new Uri(old.Endpoint!, "app/") };
        var info = (await direct.GetFromJsonAsync<ServerInfo>("info"))!;
        ReplicaProcesses.Kill(info.ProcessId);
        return old.Attempt;
    }

    private async Task<ServingCluster<int, int>> StartAsync(int replicas) =>
        await ServingCluster.StartAsync(
            TestClusters.Integers(8, 2),
            TestServers.ServingWith(),
            new ServingOptions { Deadline = TimeSpan.FromSeconds(30) },
            TestClusters.Options(_logging.Factory, TestWorkers.Runner()) with { Replicas = replicas });
}
