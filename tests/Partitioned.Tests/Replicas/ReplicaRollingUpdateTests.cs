using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Microsoft.Extensions.Logging;
using Partitioned.Clustering;
using Partitioned.Directories;
using Partitioned.Serving;
using Xunit.Abstractions;

namespace Partitioned.Tests.Replicas;

/// <summary>Rolling updates with real worker processes: under load through the gateway, and what becomes of the replaced attempts.</summary>
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

    [Fact]
    public async Task UpdateAsync_WorkerProcesses_ReplacedAttemptsDrainAndEndAsSucceeded()
    {
        // Worker debug logs show when the old server was asked to drain.
        var options = TestClusters.Options(_logging.Factory, TestWorkers.Runner(static o => o with { WorkerLogLevel = LogLevel.Debug }));
        await using var cluster = await Clustering.Cluster.StartAsync(TestClusters.Integers(8, 2), TestServers.RowsWith(), options);
        var old = cluster.Directory.Current.Partitions.Select(static p => p.Replicas[0].Attempt).ToArray();
        using var coordinator = new HttpClient { BaseAddress = cluster.CoordinatorAddress };
        coordinator.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", cluster.Token.Value);
        var release = Path.Combine(Path.GetTempPath(), $"partitioned-hold-{Guid.NewGuid():N}");
        try
        {
            // Partition 0's old server holds a request, so it is still draining when the coordinator is asked about it.
            var held = cluster.GetClient(0).GetAsync($"hold?file={Uri.EscapeDataString(release)}");
            await Eventually.TrueAsync(() => File.Exists(release + ".held"), "partition 0's old server holds the request", TimeSpan.FromSeconds(30));
            var update = cluster.UpdateAsync(TestServers.RowsWith(new TestServerSettings()));
            await Eventually.TrueAsync(
                () => _logging.Logs.Lines.Any(l => l.Contains($"[partition 0 attempt {old[0]}] ", StringComparison.Ordinal) && l.Contains("Shutdown requested", StringComparison.Ordinal)),
                "the rollout replaced partition 0's old server and asked it to drain",
                TimeSpan.FromSeconds(60));

            using (var head = await coordinator.SendAsync(new HttpRequestMessage(HttpMethod.Head, $"v1/attempts/0/{old[0]}")))
            using (var launch = await coordinator.GetAsync($"v1/attempts/0/{old[0]}"))
            {
                head.StatusCode.Should().Be(HttpStatusCode.OK, "a replaced attempt that drains still runs: its worker must not stop");
                launch.StatusCode.Should().Be(HttpStatusCode.OK);
            }

            await File.WriteAllTextAsync(release, string.Empty);
            (await held.WaitAsync(TimeSpan.FromSeconds(30))).StatusCode.Should().Be(HttpStatusCode.OK, "the old server drains what it holds");
            (await update.WaitAsync(TimeSpan.FromSeconds(90))).Should().Be(1);
        }
        finally
        {
            File.Delete(release);
            File.Delete(release + ".held");
        }

        await Eventually.TrueAsync(() => cluster.Attempts.Count(a => a.Attempt == old[a.Partition]) == old.Length, "both replaced attempts ended", TimeSpan.FromSeconds(60));
        using (new FluentAssertions.Execution.AssertionScope())
        {
            cluster.Attempts.Where(a => a.Attempt == old[a.Partition]).Should().OnlyContain(static a => a.Status == AttemptStatus.Succeeded && a.Error == null, "a replaced attempt that drained cleanly did not fail");
            for (var partition = 0; partition < old.Length; partition++)
            {
                var (driver, worker) = ($"Partition {partition} attempt {old[partition]}", $"[partition {partition} attempt {old[partition]}]");
                _logging.Logs.Lines.Should().Contain(l => l.Contains($"{driver}: received 4 result rows", StringComparison.Ordinal), $"partition {partition}'s old results were taken");
                _logging.Logs.Lines.Should().Contain(l => l.Contains($"{driver}: process ", StringComparison.Ordinal) && l.Contains(" exited with code 0 after ", StringComparison.Ordinal), $"partition {partition}'s old worker exits 0");
                _logging.Logs.Lines.Should().NotContain(l => IsWarning(l) && (l.Contains(driver + ' ', StringComparison.Ordinal) || l.Contains(driver + ':', StringComparison.Ordinal) || l.Contains(worker, StringComparison.Ordinal)), "nothing went wrong with it");
            }

            using var over = await coordinator.SendAsync(new HttpRequestMessage(HttpMethod.Head, $"v1/attempts/0/{old[0]}"));
            over.StatusCode.Should().Be(HttpStatusCode.Gone, "once it ended, the replaced attempt is over");
        }

        var results = await cluster.StopAsync();
        (await results.CollectAsync()).Should().Equal(Enumerable.Range(0, 8), "the new attempts hand back the results");
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

    private static bool IsWarning(string line) =>
        line.Contains(" Warn ", StringComparison.Ordinal) || line.Contains(" Erro ", StringComparison.Ordinal) || line.Contains(" Crit ", StringComparison.Ordinal);

    private async Task<ServingCluster<int, int>> StartAsync(int replicas) =>
        await ServingCluster.StartAsync(
            TestClusters.Integers(8, 2),
            TestServers.ServingWith(),
            new ServingOptions { Deadline = TimeSpan.FromSeconds(30) },
            TestClusters.Options(_logging.Factory, TestWorkers.Runner()) with { Replicas = replicas });
}
