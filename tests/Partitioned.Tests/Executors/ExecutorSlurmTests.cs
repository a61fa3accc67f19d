using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using Microsoft.Extensions.Logging;
using Partitioned.Clustering;
using Partitioned.Coordination;
using Partitioned.Directories;
using Partitioned.Routing;
using Partitioned.Testing.Slurm;
using Xunit.Abstractions;

namespace Partitioned.Tests.Executors;

/// <summary>Slurm instance 7, for the executor tests: they run beside the other Slurm collections.</summary>
public sealed class ExecutorSlurm() : LocalSlurmFixture(7);

[CollectionDefinition(Name)]
public sealed class ExecutorSlurmCollection : ICollectionFixture<ExecutorSlurm>
{
    public const string Name = "Executors on Slurm";
}

/// <summary>Executors on the local 3-node Slurm cluster: one <c>srun</c> per executor, not per partition.</summary>
[Collection(ExecutorSlurmCollection.Name)]
public sealed class ExecutorSlurmTests : IDisposable
{
    private readonly LocalSlurmCluster _slurm;
    private readonly ITestOutputHelper _output;
    private readonly ILoggerFactory _loggerFactory;
    private readonly CapturingLoggerProvider _logs;

    public ExecutorSlurmTests(ExecutorSlurm fixture, ITestOutputHelper output)
    {
        _slurm = fixture.Cluster;
        _output = output;
        (_loggerFactory, _logs) = TestLogging.Create(output, LogLevel.Information, "Partitioned.Clustering.SlurmRunner");
    }

    public void Dispose() => _loggerFactory.Dispose();

    [Fact]
    public async Task Start_SixtyFourPartitionsOverThreeExecutors_OneJobPerExecutor_AllServe_AndNoJobIsLeftAfterStop()
    {
        var options = Options();
        var runner = (SlurmRunner)options.Runner;
        var clock = Stopwatch.StartNew();
        await using var cluster = await Clustering.Cluster.StartAsync(TestClusters.Integers(640, 64), TestServers.RowsWith(), options);
        var id = cluster.Id;
        _output.WriteLine($"64 partitions in 3 executors serving after {clock.ElapsedMilliseconds} ms");

        // One Slurm job (one srun, one task) per executor, not per partition: in the queue and in the runner's record.
        var jobs = await _slurm.QueueAsync(id);
        jobs.Should().HaveCount(3, "one srun per executor").And.OnlyContain(static j => j.State == "RUNNING");
        jobs.Select(static j => j.Name).Should().BeEquivalentTo([$"partitioned-{id}-e1", $"partitioned-{id}-e2", $"partitioned-{id}-e3"]);
        jobs.Select(static j => j.Id).Distinct().Should().HaveCount(3);
        var executors = runner.ExecutorsOf(id);
        executors.Select(static e => e.Id).Should().BeEquivalentTo(["e1", "e2", "e3"]);
        executors.Sum(static e => e.Members.Count).Should().Be(64);
        executors.Should().OnlyContain(static e => e.Members.Count <= e.Sizing.Slots && e.Sizing.Cpus == 2);
        executors.Select(static e => e.Node).Should().OnlyContain(n => jobs.Any(j => j.Nodes == n));

        var infos = (await cluster.ScatterGetAsync<ServerInfo>("info", new ScatterOptions { RequireAll = true })).Values;
        infos.Should().HaveCount(64).And.OnlyContain(static i => i.Rows == 10 && i.Attempt == 0);
        infos.Select(static i => (i.Node, i.ProcessId)).Distinct().Should().HaveCount(3, "three executor processes host every partition");
        infos.Select(static i => i.ProcessId).Should().NotContain(Environment.ProcessId);
        cluster.Directory.Current.Partitions.Select(static p => p.Replicas[0].Executor).Distinct().Should().HaveCount(3);

        (await (await cluster.StopAsync()).CollectAsync()).Should().Equal(Enumerable.Range(0, 640));
        cluster.Attempts.Should().HaveCount(64).And.OnlyContain(static a => a.Status == AttemptStatus.Succeeded);
        await Eventually.TrueAsync(async () => (await _slurm.QueueAsync(id)).Count == 0, "no job of the cluster is left in squeue", TimeSpan.FromSeconds(20));
        await Eventually.TrueAsync(() => infos.All(i => !TestWorkers.IsAlive(i.ProcessId)), "every executor process exited", TimeSpan.FromSeconds(20));
        runner.ExecutorsOf(id).Should().BeEmpty();
    }

    [Fact]
    public async Task KillNode_ItsExecutorsPartitionsComeBackInAnExecutorOnAnotherNode_ClientsFollow_TheOthersNeverMove()
    {
        await using var cluster = await Clustering.Cluster.StartAsync(TestClusters.Integers(240, 24), TestServers.RowsWith(), Options(perExecutor: 8));
        var id = cluster.Id;
        var before = cluster.Directory.Current;
        var victim = before[0].Node!;
        var onVictim = before.Partitions.Where(p => p.Node == victim).Select(static p => p.Partition).ToArray();
        var elsewhere = before.Partitions.Where(p => p.Node != victim).ToList();
        onVictim.Should().NotBeEmpty();
        var clients = onVictim.ToDictionary(p => p, p => cluster.GetClient(p));
        var back = cluster.Directory.WaitUntilAsync(s => onVictim.All(p => s[p].Attempt == 1 && s[p].State == PartitionState.Serving), CancellationToken.None);

        var clock = Stopwatch.StartNew();
        try
        {
            await _slurm.KillNodeAsync(victim);
            var after = await back.WaitAsync(TimeSpan.FromSeconds(90));
            _output.WriteLine($"node {victim} ({onVictim.Length} partitions in its executor) killed; all serving again after {clock.ElapsedMilliseconds} ms");

            onVictim.Select(p => after[p]).Should().OnlyContain(e => e.Node != victim && e.Replicas[0].Executor != before[e.Partition].Replicas[0].Executor);
            elsewhere.Should().OnlyContain(e => after[e.Partition].Attempt == 0 && after[e.Partition].Endpoint == e.Endpoint);
            cluster.Attempts.Should().OnlyContain(a => onVictim.Contains(a.Partition) && a.Status == AttemptStatus.Failed && a.Node == victim);

            // Clients made before the loss follow the directory to the new attempts.
            foreach (var (partition, client) in clients)
            {
                var info = (await client.GetFromJsonAsync<ServerInfo>("info"))!;
                info.Should().Match<ServerInfo>(i => i.Partition == partition && i.Attempt == 1 && i.Rows == 10 && i.Node != victim);
            }

            (await (await cluster.StopAsync()).CollectAsync()).Should().Equal(Enumerable.Range(0, 240));
            await Eventually.TrueAsync(async () => (await _slurm.QueueAsync(id)).Count == 0, "no job of the cluster is left in squeue", TimeSpan.FromSeconds(20));
        }
        finally
        {
            await _slurm.StartNodeAsync(victim);
        }
    }

    [Fact]
    public async Task CutNode_EveryAttemptInItsExecutorIsLost_TheExecutorIsCancelled_ThePartitionsServeElsewhere_AndTheStaleOnesAreFenced()
    {
        Assert.True(_slurm.Mode == "netns", "cutting a node off the network needs nodes in network namespaces; this machine could not make them (see scripts/slurm-local.sh)");
        await using var cluster = await Clustering.Cluster.StartAsync(TestClusters.Integers(120, 12), TestServers.RowsWith(), Options(perExecutor: 4));
        var id = cluster.Id;
        var before = (await cluster.ScatterGetAsync<ServerInfo>("info", new ScatterOptions { RequireAll = true })).Values.ToDictionary(static i => i.Partition);
        var victim = before[0].Node!;
        var stale = before.Values.Where(i => i.Node == victim).ToList();
        var onVictim = stale.Select(static i => i.Partition).ToArray();
        var clients = onVictim.ToDictionary(p => p, p => cluster.GetClient(p));
        var back = cluster.Directory.WaitUntilAsync(s => onVictim.All(p => s[p].Attempt == 1 && s[p].State == PartitionState.Serving), CancellationToken.None);

        var clock = Stopwatch.StartNew();
        try
        {
            await _slurm.CutNodeAsync(victim);
            var after = await back.WaitAsync(TimeSpan.FromSeconds(90));
            _output.WriteLine($"node {victim} ({onVictim.Length} partitions) cut off; all serving again elsewhere after {clock.ElapsedMilliseconds} ms");

            onVictim.Select(p => after[p]).Should().OnlyContain(e => e.Node != victim);
            before.Values.Where(i => i.Node != victim).Should().OnlyContain(i => after[i.Partition].Attempt == 0);
            cluster.Attempts.Should().HaveCount(onVictim.Length).And.OnlyContain(a => onVictim.Contains(a.Partition) && a.Attempt == 0 && a.Status == AttemptStatus.Failed);
            cluster.Attempts.Select(static a => a.Error).Should().OnlyContain(e => e!.Contains("stopped answering health checks"));
            _logs.Text.Should().Contain("stopping it by force, since every attempt in it was marked lost");
            foreach (var (partition, client) in clients)
            {
                (await client.GetFromJsonAsync<ServerInfo>("info"))!.Should().Match<ServerInfo>(i => i.Partition == partition && i.Attempt == 1 && i.Node != victim);
            }

            await _slurm.HealNodeAsync(victim);

            // The executor on the healed node may still be there for a moment: nothing it sends counts any more.
            using var coordinator = new HttpClient(cluster.Transport.CreateHttpHandler()) { BaseAddress = cluster.CoordinatorAddress };
            coordinator.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", cluster.Token.Value);
            var register = await coordinator.PostAsJsonAsync("v1/register", new { partition = onVictim[0], attempt = 0, endpoint = "https://10.0.0.1:1/", executor = "e1" });
            register.StatusCode.Should().Be(HttpStatusCode.Conflict);
            using var results = new StringContent("0\n", Encoding.UTF8, "application/x-ndjson");
            (await coordinator.PostAsync($"v1/attempts/{onVictim[0]}/0/results", results)).StatusCode.Should().Be(HttpStatusCode.Gone);

            // Its job was cancelled and its process ends once the node hears of it.
            await Eventually.TrueAsync(() => stale.All(i => !TestWorkers.IsAlive(i.ProcessId)), "the cut-off executor is gone after the node came back", TimeSpan.FromSeconds(60));
            (await (await cluster.StopAsync()).CollectAsync()).Should().Equal(Enumerable.Range(0, 120));
            await Eventually.TrueAsync(async () => (await _slurm.QueueAsync(id)).Count == 0, "no job of the cluster is left in squeue", TimeSpan.FromSeconds(30));
        }
        finally
        {
            await _slurm.HealNodeAsync(victim);
        }
    }

    [Fact]
    public async Task Start_TwoReplicasOverAnExecutorPerNode_SiblingsNeverShareAnExecutorOrANode()
    {
        // An executor per node, each with all of its node's CPUs, so Slurm cannot put two on one node.
        var runner = _slurm.RunnerOptions() with { ExecutorsPerNode = 1, PartitionsPerExecutor = 8 };
        await using var cluster = await Clustering.Cluster.StartAsync(TestClusters.Integers(120, 12), TestServers.RowsWith(), _slurm.ClusterOptions(_loggerFactory, runner) with { Replicas = 2 });
        var id = cluster.Id;

        var jobs = await _slurm.QueueAsync(id);
        jobs.Should().HaveCount(3, "one job per executor, one executor per node");
        jobs.Select(static j => j.Nodes).Should().OnlyHaveUniqueItems();
        foreach (var entry in cluster.Directory.Current.Partitions)
        {
            entry.Replicas.Should().HaveCount(2).And.OnlyContain(static r => r.State == PartitionState.Serving);
            entry.Replicas[0].Executor.Should().NotBe(entry.Replicas[1].Executor, $"partition {entry.Partition}'s replicas never share an executor");
            entry.Replicas[0].Node.Should().NotBe(entry.Replicas[1].Node, $"partition {entry.Partition}'s replicas are on different nodes");
        }

        cluster.Attempts.Should().BeEmpty();
        (await (await cluster.StopAsync()).CollectAsync()).Should().Equal(Enumerable.Range(0, 120));
        await Eventually.TrueAsync(async () => (await _slurm.QueueAsync(id)).Count == 0, "no job of the cluster is left in squeue", TimeSpan.FromSeconds(20));
    }

    [Fact]
    public async Task SbatchArray_OfExecutors_TheCoordinatorAssignsEachItsAttempts_ARequeuedTasksAttemptsComeBackAsNextAttempts()
    {
        var folder = Directory.CreateTempSubdirectory("partitioned-executor-array-").FullName;
        try
        {
            var tokenFile = Path.Combine(folder, "token");
            var script = Path.Combine(folder, "executor.sh");
            string? arrayJob = null;
            var runner = new ExternalWorkersRunner(async (launch, ct) =>
            {
                await launch.WriteTokenFileAsync(tokenFile, ct);

                // An array task is an executor: its id from the task index, its slots fixed; the coordinator says which attempts it runs.
                await File.WriteAllTextAsync(script, $"#!/bin/bash\nexport PARTITIONED_EXECUTOR=a$SLURM_ARRAY_TASK_ID\nexport PARTITIONED_EXECUTOR_SLOTS=4\nexec {TestWorkers.Options.Executable} {TestWorkers.Dll}\n", ct);
                var environment = launch.WorkerEnvironment(tokenFile).ToDictionary();
                arrayJob = (await _slurm.SlurmAsync(environment, "sbatch", "--parsable", "--array=0-2", "--requeue", "--cpus-per-task=2",
                    $"--job-name=partitioned-{launch.ClusterId}", $"--output={folder}/%A_%a.out", $"--chdir={folder}", script)).Trim();
            }, workersOnOtherHosts: _slurm.Mode == "netns");
            var options = _slurm.ClusterOptions(_loggerFactory) with { Runner = runner, StartTimeout = TimeSpan.FromSeconds(90) };

            await using var cluster = await Clustering.Cluster.StartAsync(TestClusters.Integers(120, 12), TestServers.RowsWith(), options);
            var id = cluster.Id;
            var token = cluster.Token.Value;
            var before = cluster.Directory.Current;
            before.Partitions.Should().OnlyContain(static p => p.Attempt == 0 && p.State == PartitionState.Serving);
            before.Partitions.GroupBy(static p => p.Replicas[0].Executor).Select(static g => (g.Key, g.Count())).Should().BeEquivalentTo([("a0", 4), ("a1", 4), ("a2", 4)]);
            (await _slurm.QueueAsync(id)).Should().HaveCount(3, "three array tasks, one executor each").And.OnlyContain(static j => j.State == "RUNNING");
            var infos = (await cluster.ScatterGetAsync<ServerInfo>("info", new ScatterOptions { RequireAll = true })).Values;
            infos.Select(static i => i.ProcessId).Distinct().Should().HaveCount(3);

            // Slurm requeues task 1 (as after a node failure or a preemption): its executor is stopped and started again,
            // and its four partitions come back as their next attempts.
            var inTask = before.Partitions.Where(static p => p.Replicas[0].Executor == "a1").Select(static p => p.Partition).ToArray();
            var clients = inTask.ToDictionary(p => p, p => cluster.GetClient(p));
            var back = cluster.Directory.WaitUntilAsync(s => inTask.All(p => s[p].Attempt == 1 && s[p].State == PartitionState.Serving), CancellationToken.None);
            var clock = Stopwatch.StartNew();
            await _slurm.SlurmAsync("scontrol", "requeue", $"{arrayJob}_1");
            var after = await back.WaitAsync(TimeSpan.FromSeconds(120));
            _output.WriteLine($"requeue of an executor's array task to its 4 partitions serving as attempt 1: {clock.ElapsedMilliseconds} ms");

            before.Partitions.Where(static p => p.Replicas[0].Executor != "a1").Should().OnlyContain(p => after[p.Partition].Attempt == 0);
            cluster.Attempts.Should().HaveCount(4).And.OnlyContain(a => inTask.Contains(a.Partition) && a.Attempt == 0 && a.Status == AttemptStatus.Failed);
            _logs.Text.Should().Contain($"assigned attempt 1 to executor");
            foreach (var (partition, client) in clients)
            {
                (await client.GetFromJsonAsync<ServerInfo>("info"))!.Should().Match<ServerInfo>(i => i.Partition == partition && i.Attempt == 1 && i.Rows == 10);
            }

            (await (await cluster.StopAsync()).CollectAsync()).Should().Equal(Enumerable.Range(0, 120));
            // Well within the 30 s an executor waits for an unreachable coordinator: the run is over, so they end at once.
            await Eventually.TrueAsync(async () => (await _slurm.QueueAsync(id)).Count == 0, "every array task ended with its executor", TimeSpan.FromSeconds(10));
            foreach (var file in Directory.GetFiles(folder, "*.out"))
            {
                (await File.ReadAllTextAsync(file)).Should().NotContain(token, $"the output file {Path.GetFileName(file)}");
            }
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task DriverKilled_NoExecutorJobLeftInTheQueue_AndNoExecutorLeft()
    {
        using var driver = await TestDriver.StartAsync(["drive-slurm", "6", _slurm.ConfigFile, _slurm.HostAddress, "3"], Write, TimeSpan.FromSeconds(90));
        var executors = driver.Workers;
        var clusterId = driver.ClusterId;
        try
        {
            executors.Should().HaveCount(2, "six partitions, three per executor");
            (await _slurm.QueueAsync(clusterId!)).Should().HaveCount(2).And.OnlyContain(static j => j.State == "RUNNING");

            var clock = Stopwatch.StartNew();
            driver.Process.Kill(); // SIGKILL: the driver gets no chance to stop anything
            await driver.Process.WaitForExitAsync();
            await Eventually.TrueAsync(async () => (await _slurm.QueueAsync(clusterId!)).Count == 0, "no job of the cluster is left in squeue", TimeSpan.FromSeconds(10));
            await Eventually.TrueAsync(() => executors.All(pid => !TestWorkers.IsAlive(pid)), "every executor exited", TimeSpan.FromSeconds(10));
            TestWorkers.FindByEnvironment("PARTITIONED_CLUSTER_ID", clusterId!).Should().BeEmpty();
            _output.WriteLine($"driver SIGKILL to no executor job in squeue and no executor: {clock.ElapsedMilliseconds} ms");
        }
        finally
        {
            if (!driver.Process.HasExited)
            {
                driver.Process.Kill(entireProcessTree: true);
            }

            if (clusterId is not null)
            {
                await _slurm.SlurmAsync("scancel", $"--name=partitioned-{clusterId}-e1", $"--name=partitioned-{clusterId}-e2");
            }
        }
    }

    // Three executors (two CPUs each, so Slurm's least-loaded placement spreads them over the nodes and a node's loss
    // leaves room for a replacement elsewhere), with enough slots for every partition.
    private ClusterOptions Options(int? perExecutor = null) => _slurm.ClusterOptions(_loggerFactory, _slurm.RunnerOptions() with
    {
        Executors = 3,
        PartitionsPerExecutor = perExecutor ?? 1,
        CpusPerExecutor = 2,
    });

    private void Write(string source, string? line)
    {
        if (line is not null)
        {
            try
            {
                _output.WriteLine($"{source}: {line}");
            }
            catch (InvalidOperationException)
            {
                // The test is over.
            }
        }
    }
}
