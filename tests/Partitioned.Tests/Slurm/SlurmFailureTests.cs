using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using Microsoft.Extensions.Logging;
using Partitioned.Clustering;
using Partitioned.Directories;
using Partitioned.Routing;
using Partitioned.Testing.Slurm;
using Xunit.Abstractions;

namespace Partitioned.Tests.Slurm;

/// <summary>Whole machines failing under the Slurm runner: a node killed, a node cut off the network, the driver killed.</summary>
[Collection(SlurmCollection.Name)]
public sealed class SlurmFailureTests : IDisposable
{
    private readonly LocalSlurmCluster _slurm;
    private readonly ITestOutputHelper _output;
    private readonly ILoggerFactory _loggerFactory;
    private readonly CapturingLoggerProvider _logs;

    public SlurmFailureTests(SlurmFixture fixture, ITestOutputHelper output)
    {
        _slurm = fixture.Cluster;
        _output = output;
        (_loggerFactory, _logs) = TestLogging.Create(output, LogLevel.Debug);
    }

    public void Dispose() => _loggerFactory.Dispose();

    [Fact]
    public async Task KillNode_ItsPartitionsComeBackOnOtherNodes_AsNextAttempts()
    {
        await using var cluster = await Clustering.Cluster.StartAsync(TestClusters.Integers(60, 6), TestServers.RowsWith(), _slurm.ClusterOptions(_loggerFactory));
        var victim = MostLoadedNode(cluster.Directory.Current);
        var onVictim = cluster.Directory.Current.Partitions.Where(p => p.Node == victim).Select(static p => p.Partition).ToArray();
        var back = WaitForNewAttempts(cluster, onVictim);

        var clock = Stopwatch.StartNew();
        try
        {
            await _slurm.KillNodeAsync(victim);
            var replacements = await back.WaitAsync(TimeSpan.FromSeconds(90));
            _output.WriteLine($"node {victim} (partitions {string.Join(", ", onVictim)}) killed; all back elsewhere after {clock.ElapsedMilliseconds} ms");

            replacements.Should().OnlyContain(e => e.Attempt == 1 && e.Node != victim && e.State == PartitionState.Serving);
            var infos = await cluster.ScatterGetAsync<ServerInfo>("info", new ScatterOptions { RequireAll = true });
            infos.Values.Should().OnlyContain(i => i.Node != victim);
            cluster.Attempts.Where(a => onVictim.Contains(a.Partition)).Should().OnlyContain(a => a.Status == AttemptStatus.Failed && a.Node == victim);
            (await (await cluster.StopAsync()).CollectAsync()).Should().Equal(Enumerable.Range(0, 60));
        }
        finally
        {
            await _slurm.StartNodeAsync(victim);
        }
    }

    [Fact]
    public async Task CutNode_MarkedLostAndRelaunchedElsewhere_TheStaleAttemptIsFencedWhenTheNodeReturns()
    {
        Assert.True(_slurm.Mode == "netns", "cutting a node off the network needs nodes in network namespaces; this machine could not make them (see scripts/slurm-local.sh)");
        await using var cluster = await Clustering.Cluster.StartAsync(TestClusters.Integers(30, 3), TestServers.RowsWith(), _slurm.ClusterOptions(_loggerFactory));
        var stale = cluster.Directory.Current[0];
        var victim = stale.Node!;
        var staleInfo = (await cluster.GetClient(0).GetFromJsonAsync<ServerInfo>("info"))!;
        var back = WaitForNewAttempts(cluster, [0]);

        var clock = Stopwatch.StartNew();
        try
        {
            await _slurm.CutNodeAsync(victim);
            var replacement = (await back.WaitAsync(TimeSpan.FromSeconds(90))).Single();
            _output.WriteLine($"node {victim} cut off; partition 0 serving again on {replacement.Node} after {clock.ElapsedMilliseconds} ms");
            replacement.Should().Match<PartitionEntry>(e => e.Attempt == 1 && e.Node != victim);
            cluster.Attempts.Should().ContainSingle(a => a.Partition == 0).Which.Error.Should().Contain("stopped answering health checks").And.Contain("was cancelled");

            await _slurm.HealNodeAsync(victim);

            // The stale attempt is alive again on the healed node. Asked to stop, it posts its results: refused.
            using var partition = new HttpClient(cluster.Transport.CreateHttpHandler()) { BaseAddress = stale.Endpoint, Timeout = TimeSpan.FromSeconds(10) };
            partition.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", cluster.Token.Value);
            (await partition.PostAsync("control/shutdown", null)).StatusCode.Should().Be(HttpStatusCode.Accepted);
            await Eventually.TrueAsync(() => _logs.Text.Contains("Partition 0 attempt 0 is over, so its request for results was refused", StringComparison.Ordinal), "the stale worker's results were refused", TimeSpan.FromSeconds(30));

            // Whatever it tries, the coordinator refuses it: registering again (stale), or posting results (its attempt is over).
            using var coordinator = new HttpClient(cluster.Transport.CreateHttpHandler()) { BaseAddress = cluster.CoordinatorAddress };
            coordinator.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", cluster.Token.Value);
            var register = await coordinator.PostAsJsonAsync("v1/register", new { partition = 0, attempt = 0, endpoint = stale.Endpoint!.ToString() });
            register.StatusCode.Should().Be(HttpStatusCode.Conflict);
            (await register.Content.ReadAsStringAsync()).Should().Contain("stale");
            using var results = new StringContent("0\n", Encoding.UTF8, "application/x-ndjson");
            (await coordinator.PostAsync("v1/attempts/0/0/results", results)).StatusCode.Should().Be(HttpStatusCode.Gone);

            await Eventually.TrueAsync(() => !TestWorkers.IsAlive(staleInfo.ProcessId), "the stale worker is gone", TimeSpan.FromSeconds(60));
            cluster.Directory.Current[0].Should().Match<PartitionEntry>(e => e.Attempt == 1 && e.State == PartitionState.Serving);
            (await (await cluster.StopAsync()).CollectAsync()).Should().Equal(Enumerable.Range(0, 30));
        }
        finally
        {
            await _slurm.HealNodeAsync(victim);
        }
    }

    [Fact]
    public async Task DriverKilled_NoJobLeftInTheQueueWithinTenSeconds_AndNoWorkerLeft()
    {
        using var driver = await TestDriver.StartAsync(["drive-slurm", "3", _slurm.ConfigFile, _slurm.HostAddress], Write, TimeSpan.FromSeconds(90));
        var workers = driver.Workers;
        var clusterId = driver.ClusterId;
        try
        {
            clusterId.Should().NotBeNull();
            (await _slurm.QueueAsync(clusterId!)).Should().HaveCount(3).And.OnlyContain(static j => j.State == "RUNNING");

            var clock = Stopwatch.StartNew();
            driver.Process.Kill(); // SIGKILL: the driver gets no chance to stop anything
            await driver.Process.WaitForExitAsync();
            await Eventually.TrueAsync(async () => (await _slurm.QueueAsync(clusterId!)).Count == 0, "no job of the cluster is left in squeue", TimeSpan.FromSeconds(10));
            await Eventually.TrueAsync(() => workers.All(pid => !TestWorkers.IsAlive(pid)), "every worker exited", TimeSpan.FromSeconds(10));
            TestWorkers.FindByEnvironment("PARTITIONED_CLUSTER_ID", clusterId!).Should().BeEmpty();
            _output.WriteLine($"driver SIGKILL to no job in squeue and no worker: {clock.ElapsedMilliseconds} ms");
        }
        finally
        {
            if (!driver.Process.HasExited)
            {
                driver.Process.Kill(entireProcessTree: true);
            }

            if (clusterId is not null)
            {
                await _slurm.SlurmAsync("scancel", $"--name=partitioned-{clusterId}-p0-a0", $"--name=partitioned-{clusterId}-p1-a0", $"--name=partitioned-{clusterId}-p2-a0");
            }
        }
    }

    private static string MostLoadedNode(DirectorySnapshot snapshot) =>
        snapshot.Partitions.GroupBy(static p => p.Node!).OrderByDescending(static g => g.Count()).ThenBy(static g => g.Key, StringComparer.Ordinal).First().Key;

    /// <summary>Completes with the entries of <paramref name="partitions"/> once each is serving with a newer attempt.</summary>
    private static Task<PartitionEntry[]> WaitForNewAttempts(Cluster<int, int> cluster, int[] partitions) =>
        cluster.Directory.WaitUntilAsync(
            s => partitions.All(p => s[p].Attempt > 0 && s[p].State == PartitionState.Serving),
            CancellationToken.None).ContinueWith(t => partitions.Select(p => t.Result[p]).ToArray(), TaskScheduler.Default);

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
