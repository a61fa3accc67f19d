using System.Diagnostics;
using System.Net.Http.Json;
using Microsoft.Extensions.Logging;
using Partitioned.Clustering;
using Partitioned.Coordination;
using Partitioned.Directories;
using Partitioned.Routing;
using Xunit.Abstractions;

namespace Partitioned.Tests.Executors;

/// <summary>Executors under the process runner: several partition attempts per worker process, with real processes.</summary>
public sealed class ExecutorProcessRunnerTests : IDisposable
{
    private readonly ITestOutputHelper _output;
    private readonly ILoggerFactory _loggerFactory;
    private readonly CapturingLoggerProvider _logs;

    public ExecutorProcessRunnerTests(ITestOutputHelper output)
    {
        _output = output;
        (_loggerFactory, _logs) = TestLogging.Create(output);
    }

    public void Dispose() => _loggerFactory.Dispose();

    [Fact]
    public async Task Start_EightPartitionsFourPerExecutor_TwoProcessesServeAll_AndResultsComeBackInOrder()
    {
        var runner = TestWorkers.Runner(o => o with { PartitionsPerExecutor = 4 });
        await using var cluster = await Clustering.Cluster.StartAsync(TestClusters.Integers(80, 8), TestServers.RowsWith(), Options(runner));

        var infos = await cluster.ScatterGetAsync<ServerInfo>("info", new ScatterOptions { RequireAll = true });
        infos.Values.Should().HaveCount(8).And.OnlyContain(static i => i.Attempt == 0 && i.Rows == 10);
        var processes = infos.Values.GroupBy(static i => i.ProcessId).ToList();
        processes.Should().HaveCount(2).And.OnlyContain(static g => g.Count() == 4);
        processes.Select(static g => g.Key).Should().NotContain(Environment.ProcessId);

        // Every partition is a server of its own: its own endpoint, its own executor-tagged registration.
        var snapshot = cluster.Directory.Current;
        snapshot.Partitions.Select(static p => p.Endpoint).Distinct().Should().HaveCount(8);
        snapshot.Partitions.SelectMany(static p => p.Replicas).Select(static r => r.Executor).Should().OnlyContain(static e => e != null).And.HaveCount(8);
        snapshot.Partitions.SelectMany(static p => p.Replicas).GroupBy(static r => r.Executor).Should().HaveCount(2);

        var results = await cluster.StopAsync();
        (await results.CollectAsync()).Should().Equal(Enumerable.Range(0, 80));
        cluster.Attempts.Should().HaveCount(8).And.OnlyContain(static a => a.Status == AttemptStatus.Succeeded);
        await Eventually.TrueAsync(() => processes.All(g => !TestWorkers.IsAlive(g.Key)), "every executor process exited after the stop", TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task InitFailure_OnePartitionInAnExecutor_ItsNeighboursKeepServing_AndItsNextAttemptRunsInAnotherExecutor()
    {
        var runner = TestWorkers.Runner(o => o with { PartitionsPerExecutor = 4 });
        var settings = new TestServerSettings { FailInitPartitions = [2], FailInitBelowAttempt = 1 };
        await using var cluster = await Clustering.Cluster.StartAsync(TestClusters.Integers(80, 8), TestServers.RowsWith(settings), Options(runner));

        var failed = cluster.Attempts.Should().ContainSingle().Which;
        failed.Should().Match<AttemptOutcome>(a => a.Partition == 2 && a.Attempt == 0 && a.Status == AttemptStatus.Failed);
        failed.Error.Should().Contain("failed in its executor").And.Contain(RowsServer.InitFailureMessage);
        var failedIn = failed.Error!.Split("failed in its executor ")[1].Split(' ')[0];

        // Its neighbours never noticed: the same attempts, serving all along, in the same executor.
        var replicas = cluster.Directory.Current.Partitions.Select(static p => p.Replicas[0]).ToList();
        var neighbours = replicas.Where(r => r.Executor == failedIn).Select(r => cluster.Directory.Current.Partitions.First(p => p.Replicas[0] == r).Partition).ToList();
        neighbours.Should().HaveCount(3).And.NotContain(2);
        var infos = await InfosAsync(cluster);
        neighbours.Select(p => infos[p]).Should().OnlyContain(static i => i.Attempt == 0 && i.Rows == 10).And.OnlyContain(i => i.ProcessId == infos[neighbours[0]].ProcessId);

        // The re-launch went elsewhere: another executor than the one its code failed in.
        infos[2].Should().Match<ServerInfo>(i => i.Attempt == 1 && i.Rows == 10);
        cluster.Directory.Current[2].Replicas[0].Executor.Should().NotBe(failedIn);
        infos[2].ProcessId.Should().NotBe(infos[neighbours[0]].ProcessId);

        (await (await cluster.StopAsync()).CollectAsync()).Should().Equal(Enumerable.Range(0, 80));
    }

    [Fact]
    public async Task KillNine_AnExecutor_EveryPartitionInItComesBackAsNextAttempt_ClientsFollow_AndStaleAttemptsAreFenced()
    {
        var runner = TestWorkers.Runner(o => o with { PartitionsPerExecutor = 3 });
        await using var cluster = await Clustering.Cluster.StartAsync(TestClusters.Integers(60, 6), TestServers.RowsWith(), Options(runner));
        var before = await InfosAsync(cluster);
        var victim = before[0].ProcessId;
        var inVictim = before.Values.Where(i => i.ProcessId == victim).Select(static i => i.Partition).ToArray();
        var others = before.Values.Where(i => i.ProcessId != victim).ToList();
        inVictim.Should().HaveCount(3);
        var clients = inVictim.ToDictionary(p => p, p => cluster.GetClient(p));
        var back = cluster.Directory.WaitUntilAsync(s => inVictim.All(p => s[p].Attempt == 1 && s[p].State == PartitionState.Serving), CancellationToken.None);

        var clock = Stopwatch.StartNew();
        using (var process = Process.GetProcessById(victim))
        {
            process.Kill(); // SIGKILL, like kill -9
        }

        await back.WaitAsync(TimeSpan.FromSeconds(60));
        _output.WriteLine($"kill -9 of an executor of {inVictim.Length} partitions to all of them serving again: {clock.ElapsedMilliseconds} ms");

        // Clients made before the kill follow the directory to the new attempts.
        foreach (var (partition, client) in clients)
        {
            var info = (await client.GetFromJsonAsync<ServerInfo>("info"))!;
            info.Should().Match<ServerInfo>(i => i.Partition == partition && i.Attempt == 1 && i.Rows == 10 && i.ProcessId != victim);
        }

        // The partitions of the other executor never moved.
        var after = await InfosAsync(cluster);
        others.Should().OnlyContain(o => after[o.Partition] == o);
        cluster.Attempts.Should().HaveCount(3).And.OnlyContain(a => inVictim.Contains(a.Partition) && a.Attempt == 0 && a.Status == AttemptStatus.Failed);
        cluster.Attempts.Select(static a => a.Error).Should().OnlyContain(e => e!.Contains("exited with code 137 (killed by signal 9, SIGKILL)"));

        // Fencing per partition, as for a process each: the dead attempts can neither register nor hand back results.
        using var coordinator = new HttpClient { BaseAddress = cluster.CoordinatorAddress };
        coordinator.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", cluster.Token.Value);
        var stale = inVictim[0];
        (await coordinator.PostAsJsonAsync("v1/register", new { partition = stale, attempt = 0, endpoint = "http://127.0.0.1:1/", executor = "e1" })).StatusCode.Should().Be(System.Net.HttpStatusCode.Conflict);
        using var results = new StringContent("0\n", System.Text.Encoding.UTF8, "application/x-ndjson");
        (await coordinator.PostAsync($"v1/attempts/{stale}/0/results", results)).StatusCode.Should().Be(System.Net.HttpStatusCode.Gone);

        (await (await cluster.StopAsync()).CollectAsync()).Should().Equal(Enumerable.Range(0, 60));
    }

    [Fact]
    public async Task Start_TwoReplicasOverThreeExecutorsWithNoSpareSlot_ReplicasNeverShareAnExecutor_AndAllServe()
    {
        // 6 partitions x 2 replicas in 3 executors of 4 slots: every slot is needed, and filling one executor after the
        // other would leave the last partitions' two replicas only one executor to share.
        var runner = TestWorkers.Runner(o => o with { Executors = 3 });
        await using var cluster = await Clustering.Cluster.StartAsync(TestClusters.Integers(60, 6), TestServers.RowsWith(), Options(runner) with { Replicas = 2 });

        var snapshot = cluster.Directory.Current;
        snapshot.Partitions.Should().OnlyContain(static p => p.Replicas.Count() == 2 && p.Replicas.All(static r => r.State == PartitionState.Serving && r.Attempt < 2));
        snapshot.Partitions.Should().OnlyContain(static p => p.Replicas[0].Executor != p.Replicas[1].Executor, "replicas of a partition never share an executor");
        snapshot.Partitions.SelectMany(static p => p.Replicas).GroupBy(static r => r.Executor).Should().HaveCount(3).And.OnlyContain(static g => g.Count() == 4);
        cluster.Attempts.Should().BeEmpty("no attempt failed for want of a slot");
        (await (await cluster.StopAsync()).CollectAsync()).Should().Equal(Enumerable.Range(0, 60));
    }

    [Fact]
    public async Task DriverKilled_EveryExecutorExitsByItselfWithinSeconds()
    {
        using var driver = await TestDriver.StartAsync(["drive-executors", "6", "3"], WriteDriverOutput, TimeSpan.FromSeconds(60));
        var workers = driver.Workers;
        var clusterId = driver.ClusterId;
        try
        {
            workers.Should().HaveCount(2, "six partitions, three per executor").And.OnlyContain(pid => TestWorkers.IsAlive(pid) && pid != driver.Process.Id);

            var clock = Stopwatch.StartNew();
            driver.Process.Kill(); // SIGKILL: the driver gets no chance to stop anything
            await driver.Process.WaitForExitAsync();
            await Eventually.TrueAsync(() => workers.All(pid => !TestWorkers.IsAlive(pid)), "every executor exited after its driver was killed", TimeSpan.FromSeconds(10));
            TestWorkers.FindByEnvironment("PARTITIONED_CLUSTER_ID", clusterId!).Should().BeEmpty();
            _output.WriteLine($"driver SIGKILL to every executor gone: {clock.ElapsedMilliseconds} ms");
        }
        finally
        {
            foreach (var pid in workers.Where(TestWorkers.IsAlive))
            {
                using var leftover = Process.GetProcessById(pid);
                leftover.Kill();
            }

            if (!driver.Process.HasExited)
            {
                driver.Process.Kill(entireProcessTree: true);
            }
        }
    }

    private static async Task<Dictionary<int, ServerInfo>> InfosAsync(Cluster<int, int> cluster) =>
        (await cluster.ScatterGetAsync<ServerInfo>("info", new ScatterOptions { RequireAll = true })).Values.ToDictionary(static i => i.Partition);

    private ClusterOptions Options(IPartitionRunner runner) => TestClusters.Options(_loggerFactory, runner);

    // The driver's own lines, read while the test waits for it to be ready (its stderr is not shown, as before).
    private void WriteDriverOutput(string source, string? line)
    {
        if (source == "driver")
        {
            _output.WriteLine($"driver: {line}");
        }
    }
}
