using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Partitioned.Clustering;
using Partitioned.Directories;
using Partitioned.Routing;
using Partitioned.Server;
using Partitioned.Testing.Slurm;
using Xunit.Abstractions;

namespace Partitioned.Tests.Slurm;

/// <summary>The Slurm runner on a real three-node Slurm cluster: placement, results, kill -9, the token, bad options.</summary>
[Collection(SlurmCollection.Name)]
public sealed class SlurmRunnerTests : IDisposable
{
    private readonly LocalSlurmCluster _slurm;
    private readonly ITestOutputHelper _output;
    private readonly ILoggerFactory _loggerFactory;
    private readonly CapturingLoggerProvider _logs;

    public SlurmRunnerTests(SlurmFixture fixture, ITestOutputHelper output)
    {
        _slurm = fixture.Cluster;
        _output = output;
        (_loggerFactory, _logs) = TestLogging.Create(output, LogLevel.Debug);
    }

    public void Dispose() => _loggerFactory.Dispose();

    [Fact]
    public async Task Start_EightPartitionsOverThreeNodes_AllServeAtTheirNodesAddresses_AndResultsComeBackInPartitionOrder()
    {
        await using var cluster = await Clustering.Cluster.StartAsync(TestClusters.Integers(80, 8), TestServers.RowsWith(), _slurm.ClusterOptions(_loggerFactory));

        var infos = await cluster.ScatterGetAsync<ServerInfo>("info", new ScatterOptions { RequireAll = true });
        var snapshot = cluster.Directory.Current;
        foreach (var entry in snapshot.Partitions)
        {
            _output.WriteLine($"partition {entry.Partition}: node {entry.Node}, {entry.Endpoint}, attempt {entry.Attempt}");
        }

        infos.Values.Select(static i => i.Rows).Should().AllBeEquivalentTo(10);
        snapshot.Partitions.Select(static p => p.Node).Distinct().Should().BeEquivalentTo(_slurm.Nodes, "LLN spreads the 8 tasks over all 3 nodes");
        foreach (var entry in snapshot.Partitions)
        {
            infos[entry.Partition].Value!.Node.Should().Be(entry.Node, "the directory's node is where the worker runs");
            if (_slurm.Mode == "netns")
            {
                // Each node has an address of its own, and the partition registered that one (not the host's, not loopback).
                var address = IPAddress.Parse(entry.Endpoint!.Host);
                address.ToString().Should().Be(NodeAddress(entry.Node!));
            }
        }

        var id = cluster.Id;
        var results = await cluster.StopAsync();
        (await results.CollectAsync()).Should().Equal(Enumerable.Range(0, 80));
        cluster.Attempts.Should().HaveCount(8).And.OnlyContain(static a => a.Status == AttemptStatus.Succeeded && a.Node != null);
        // Every job ended with its worker; Slurm may still list one as COMPLETING while its node reports back.
        (await _slurm.QueueAsync(id)).Should().NotContain(static j => j.State != "COMPLETING", "every job ended with its worker");
        await Eventually.TrueAsync(async () => (await _slurm.QueueAsync(id)).Count == 0, "no job of the cluster is left in squeue", TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task KillNine_OneWorker_ComesBackAsNextAttempt_AndItsClientFollows()
    {
        await using var cluster = await Clustering.Cluster.StartAsync(TestClusters.Integers(30, 3), TestServers.RowsWith(), _slurm.ClusterOptions(_loggerFactory));
        var client = cluster.GetClient(1);
        var before = (await client.GetFromJsonAsync<ServerInfo>("info"))!;
        var replaced = WaitForChange(cluster, 1, PartitionChangeKind.Replaced);

        var clock = Stopwatch.StartNew();
        using (var victim = Process.GetProcessById(before.ProcessId))
        {
            victim.Kill();
        }

        var change = await replaced.WaitAsync(TimeSpan.FromSeconds(60));
        _output.WriteLine($"kill -9 to re-registered: {clock.ElapsedMilliseconds} ms; attempt 1 on {change.Current.Node}");
        var after = (await client.GetFromJsonAsync<ServerInfo>("info"))!;

        after.Should().Match<ServerInfo>(i => i.Partition == 1 && i.Attempt == 1 && i.Rows == 10 && i.ProcessId != before.ProcessId);
        var killed = cluster.Attempts.Should().ContainSingle().Which;
        killed.Should().Match<AttemptOutcome>(a => a.Partition == 1 && a.Attempt == 0 && a.Status == AttemptStatus.Failed && a.Node == before.Node);
        killed.Error.Should().Contain("exited with code 137 (killed by signal 9, SIGKILL)");
        if (_slurm.Mode == "netns")
        {
            change.Current.Node.Should().NotBe(before.Node, "a node where an attempt of the partition died is avoided while other nodes exist");
        }

        (await (await cluster.StopAsync()).CollectAsync()).Should().Equal(Enumerable.Range(0, 30));
    }

    [Fact]
    public async Task Token_NeverShowsInTheJobRecord_TheQueue_ProcessListings_TheTaskEnvironment_OrTheLogs()
    {
        await using var cluster = await Clustering.Cluster.StartAsync(TestClusters.Integers(4, 2), TestServers.RowsWith(), _slurm.ClusterOptions(_loggerFactory));
        var token = cluster.Token.Value;
        var infos = await cluster.ScatterGetAsync<ServerInfo>("info", new ScatterOptions { RequireAll = true });

        var jobs = await _slurm.QueueAsync(cluster.Id);
        jobs.Should().HaveCount(2);
        foreach (var job in jobs)
        {
            (await _slurm.SlurmAsync("scontrol", "show", "job", job.Id)).Should().NotContain(token);
        }

        (await _slurm.SlurmAsync("squeue", "--all", "--format=%all")).Should().NotContain(token);
        foreach (var directory in System.IO.Directory.EnumerateDirectories("/proc").Where(static d => int.TryParse(Path.GetFileName(d), out _)))
        {
            ReadQuietly(Path.Combine(directory, "cmdline")).Should().NotContain(token, $"the command line of process {Path.GetFileName(directory)}");
            ReadQuietly(Path.Combine(directory, "environ")).Should().NotContain(token, $"the environment of process {Path.GetFileName(directory)}");
        }

        foreach (var info in infos.Values)
        {
            ReadQuietly($"/proc/{info.ProcessId}/environ").Should().Contain("PARTITIONED_PARENT_PID=0", "the task got the launch variables through srun's environment");
        }

        await cluster.StopAsync();
        _logs.Text.Should().NotContain(token).And.Contain("runs on node");
    }

    [Fact]
    public async Task Start_NodesElsewhere_CoordinatorOnLoopback_FailsAtOnceNamingTheSettings()
    {
        var options = _slurm.ClusterOptions(_loggerFactory, _slurm.RunnerOptions() with { WorkersOnOtherHosts = true }) with
        {
            CoordinatorBindAddress = "127.0.0.1",
            Server = new PartitionServerOptions { BindAddress = "127.0.0.1" },
        };
        var cluster = new Cluster<int, int>(TestClusters.Integers(4, 2), TestServers.RowsWith(), options);

        var clock = Stopwatch.StartNew();
        var error = (await cluster.Invoking(static c => c.StartAsync()).Should().ThrowAsync<OptionsValidationException>()).Which;

        clock.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(5), "no worker is launched to time out");
        error.Message.Should().Contain("CoordinatorBindAddress is 127.0.0.1, which partitions on other machines (runner 'slurm') cannot reach")
            .And.Contain("Server.BindAddress is 127.0.0.1");
    }

    [Fact]
    public void Create_BadOptions_ListsEveryProblem()
    {
        var options = _slurm.RunnerOptions() with
        {
            SrunPath = "/nonexistent/srun",
            CpusPerPartition = 0,
            MemoryPerPartition = "lots",
            TimeLimit = TimeSpan.Zero,
            JobNamePrefix = "has space",
            NodeList = "n1 n2",
            ExtraArguments = ["--qos=high", "--ntasks=4", "-J", "mine"],
            EnvironmentVariables = new Dictionary<string, string> { ["PARTITIONED_TOKEN_FILE"] = "/tmp/x" },
        };

        var error = FluentActions.Invoking(() => new SlurmRunner(options)).Should().Throw<OptionsValidationException>().Which;

        _output.WriteLine(error.Message);
        error.Message.Should().Contain("SrunPath '/nonexistent/srun' was not found")
            .And.Contain("CpusPerPartition must be at least 1")
            .And.Contain("MemoryPerPartition must be a size in Slurm's notation")
            .And.Contain("TimeLimit must be positive")
            .And.Contain("JobNamePrefix must be")
            .And.Contain("NodeList must not be empty or hold spaces")
            .And.Contain("'--ntasks=4' is set by the runner itself")
            .And.Contain("'-J' is set by the runner itself")
            .And.Contain("PARTITIONED_TOKEN_FILE is reserved");
        error.Message.Should().NotContain("--qos");
    }

    private string NodeAddress(string node) => _slurm.HostAddress[..(_slurm.HostAddress.LastIndexOf('.') + 1)] + (10 + int.Parse(node.TrimStart('n'), System.Globalization.CultureInfo.InvariantCulture));

    private static Task<PartitionChange> WaitForChange(Cluster<int, int> cluster, int partition, PartitionChangeKind kind)
    {
        var found = new TaskCompletionSource<PartitionChange>(TaskCreationOptions.RunContinuationsAsynchronously);
        cluster.PartitionChanged += (_, change) =>
        {
            if (change.Partition == partition && change.Kind == kind)
            {
                found.TrySetResult(change);
            }
        };
        return found.Task;
    }

    private static string ReadQuietly(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return string.Empty;
        }
    }
}
