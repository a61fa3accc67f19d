using System.Diagnostics;
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

    public ExecutorSlurmTests(ExecutorSlurm fixture, ITestOutputHelper output)
    {
        _slurm = fixture.Cluster;
        _output = output;
        (_loggerFactory, _) = TestLogging.Create(output, LogLevel.Information);
    }

    public void Dispose() => _loggerFactory.Dispose();

    [Fact]
    public async Task Start_SixtyFourPartitionsOverThreeExecutors_OneJobPerExecutor_AllServe_AndNoJobIsLeftAfterStop()
    {
        var clock = Stopwatch.StartNew();
        await using var cluster = await Clustering.Cluster.StartAsync(TestClusters.Integers(640, 64), TestServers.RowsWith(), Options());
        _output.WriteLine($"64 partitions in 3 executors serving after {clock.ElapsedMilliseconds} ms");

        var jobs = await _slurm.QueueAsync(cluster.Id);
        jobs.Should().HaveCount(3, "one srun per executor").And.OnlyContain(static j => j.State == "RUNNING");
        jobs.Select(static j => j.Name).Should().BeEquivalentTo([$"partitioned-{cluster.Id}-e1", $"partitioned-{cluster.Id}-e2", $"partitioned-{cluster.Id}-e3"]);
        var infos = (await cluster.ScatterGetAsync<ServerInfo>("info", new ScatterOptions { RequireAll = true })).Values;
        infos.Should().HaveCount(64).And.OnlyContain(static i => i.Rows == 10 && i.Attempt == 0);
        infos.Select(static i => (i.Node, i.ProcessId)).Distinct().Should().HaveCount(3, "three executor processes host every partition");
        cluster.Directory.Current.Partitions.Select(static p => p.Replicas[0].Executor).Distinct().Should().HaveCount(3);

        (await (await cluster.StopAsync()).CollectAsync()).Should().Equal(Enumerable.Range(0, 640));
        await Eventually.TrueAsync(async () => (await _slurm.QueueAsync(cluster.Id)).Count == 0, "no job of the cluster is left in squeue", TimeSpan.FromSeconds(20));
    }

    [Fact]
    public async Task KillNode_ItsExecutorsPartitionsComeBackInAnExecutorOnAnotherNode_TheOthersNeverMove()
    {
        await using var cluster = await Clustering.Cluster.StartAsync(TestClusters.Integers(240, 24), TestServers.RowsWith(), Options(perExecutor: 8));
        var before = cluster.Directory.Current;
        var victim = before[0].Node!;
        var onVictim = before.Partitions.Where(p => p.Node == victim).Select(static p => p.Partition).ToArray();
        var elsewhere = before.Partitions.Where(p => p.Node != victim).ToList();
        onVictim.Should().NotBeEmpty();
        var back = cluster.Directory.WaitUntilAsync(s => onVictim.All(p => s[p].Attempt == 1 && s[p].State == PartitionState.Serving), CancellationToken.None);

        var clock = Stopwatch.StartNew();
        try
        {
            await _slurm.KillNodeAsync(victim);
            var after = await back.WaitAsync(TimeSpan.FromSeconds(90));
            _output.WriteLine($"node {victim} ({onVictim.Length} partitions in its executor) killed; all serving again after {clock.ElapsedMilliseconds} ms");

            onVictim.Select(p => after[p]).Should().OnlyContain(e => e.Node != victim);
            elsewhere.Should().OnlyContain(e => after[e.Partition].Attempt == 0 && after[e.Partition].Endpoint == e.Endpoint);
            cluster.Attempts.Should().OnlyContain(a => onVictim.Contains(a.Partition) && a.Status == AttemptStatus.Failed && a.Node == victim);
            (await (await cluster.StopAsync()).CollectAsync()).Should().Equal(Enumerable.Range(0, 240));
            await Eventually.TrueAsync(async () => (await _slurm.QueueAsync(cluster.Id)).Count == 0, "no job of the cluster is left in squeue", TimeSpan.FromSeconds(20));
        }
        finally
        {
            await _slurm.StartNodeAsync(victim);
        }
    }

    [Fact]
    public async Task DriverKilled_NoExecutorJobLeftInTheQueue_AndNoExecutorLeft()
    {
        var start = new ProcessStartInfo(TestWorkers.Options.Executable!) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in (string[])[TestWorkers.Dll, "drive-slurm", "6", _slurm.ConfigFile, _slurm.HostAddress, "3"])
        {
            start.ArgumentList.Add(argument);
        }

        using var driver = Process.Start(start)!;
        driver.ErrorDataReceived += (_, e) => Write("driver stderr", e.Data);
        driver.BeginErrorReadLine();
        var executors = new HashSet<int>();
        string? clusterId = null;
        try
        {
            using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(90));
            while (await driver.StandardOutput.ReadLineAsync(deadline.Token) is { } line && line != "ready")
            {
                Write("driver", line);
                if (line.StartsWith("worker ", StringComparison.Ordinal))
                {
                    executors.Add(int.Parse(line["worker ".Length..], System.Globalization.CultureInfo.InvariantCulture));
                }
                else if (line.StartsWith("cluster ", StringComparison.Ordinal))
                {
                    clusterId = line["cluster ".Length..];
                }
            }

            executors.Should().HaveCount(2, "six partitions, three per executor");
            (await _slurm.QueueAsync(clusterId!)).Should().HaveCount(2).And.OnlyContain(static j => j.State == "RUNNING");

            var clock = Stopwatch.StartNew();
            driver.Kill(); // SIGKILL: the driver gets no chance to stop anything
            await driver.WaitForExitAsync();
            await Eventually.TrueAsync(async () => (await _slurm.QueueAsync(clusterId!)).Count == 0, "no job of the cluster is left in squeue", TimeSpan.FromSeconds(10));
            await Eventually.TrueAsync(() => executors.All(pid => !TestWorkers.IsAlive(pid)), "every executor exited", TimeSpan.FromSeconds(10));
            TestWorkers.FindByEnvironment("PARTITIONED_CLUSTER_ID", clusterId!).Should().BeEmpty();
            _output.WriteLine($"driver SIGKILL to no executor job in squeue and no executor: {clock.ElapsedMilliseconds} ms");
        }
        finally
        {
            if (!driver.HasExited)
            {
                driver.Kill(entireProcessTree: true);
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
