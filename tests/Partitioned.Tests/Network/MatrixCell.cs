using System.Diagnostics;
using System.Net.Http.Json;
using Microsoft.Extensions.Logging;
using Partitioned.Coordination;
using Partitioned.Directories;
using Partitioned.Serving;
using Partitioned.Testing.Network;
using Partitioned.Testing.Slurm;
using Xunit.Abstractions;

namespace Partitioned.Tests.Network;

/// <summary>
/// One cell of the feature-interaction matrix: a serving setup on the local Slurm cluster (nodes in network
/// namespaces), under closed-loop load, through one fault; then the promises the docs make for that cell are checked.
/// </summary>
internal sealed class MatrixCell(LocalSlurmCluster slurm, MatrixMode mode, MatrixFault fault, ILoggerFactory loggerFactory, ITestOutputHelper output, HeadNodeTransport transport = HeadNodeTransport.GrpcStream)
{
    private const int Partitions = 3;
    private const int Loops = 16;
    private static readonly TimeSpan s_requestTimeout = TimeSpan.FromSeconds(40);
    private static readonly TimeSpan s_wait = TimeSpan.FromSeconds(90);

    private readonly HashSet<(int Partition, int Attempt)> _victims = [];
    private string? _victimNode;
    private TimeSpan _faultAt;

    private int Replicas => mode is MatrixMode.DistributedTwoIdempotentReplicas or MatrixMode.HeadNodeTwoReplicas ? 2 : 1;

    private bool HeadNode => mode is MatrixMode.HeadNodeOneReplica or MatrixMode.HeadNodeTwoReplicas;

    // Idempotent where the setup's promise is "no failed request" through replays or resends; not idempotent where the
    // promise is "never run twice" (distributed with one replica, and every update or stop).
    private string Service => mode == MatrixMode.DistributedOneReplica || fault is MatrixFault.RollingUpdate or MatrixFault.StopDuringUpdate ? "work-once" : "work";

    public async Task RunAsync()
    {
        Assert.True(slurm.Mode == "netns", "the matrix needs nodes in network namespaces; this machine could not make them (see scripts/slurm-local.sh)");
        await using var ledger = await WorkLedger.StartAsync(slurm.HostAddress);
        var settings = new ServingTestSettings { LedgerUrl = ledger.Url };
        var options = slurm.ClusterOptions(loggerFactory) with
        {
            Replicas = Replicas,

            // The defaults: faults are judged as a user meets them.
            HealthCheckInterval = TimeSpan.FromSeconds(1),
            HealthCheckTimeout = null,
            StopTimeout = TimeSpan.FromSeconds(30),
        };
        var serving = await ServingCluster.StartAsync(
            TestClusters.Integers(30, Partitions),
            TestServers.ServingWith(settings),
            new ServingOptions { Mode = HeadNode ? ServingMode.HeadNode : ServingMode.Distributed, Services = ["work", "work-once"], HeadNodeTransport = transport },
            options);
        var clusterId = serving.Cluster.Id;
        var stopped = false;
        try
        {
            await using var load = CellLoad.Start(serving.Address, Service, ms: 20, Loops, s_requestTimeout, serving.Cluster.Transport.CreateHttpHandler());
            await load.WaitForAnswersAsync(100, s_wait);
            _faultAt = load.Elapsed;
            output.WriteLine($"{mode} x {fault}: {load.Answers.Count} answers before the fault at {_faultAt.TotalSeconds:0.0} s");
            stopped = await InjectAsync(serving, settings);
            if (!stopped)
            {
                await load.WaitForAnswersAsync(100, s_wait);
            }

            await load.StopAsync();
            if (!stopped)
            {
                await serving.StopAsync();
                stopped = true;
            }

            Check(load.Answers.ToList(), ledger);
        }
        finally
        {
            if (!stopped)
            {
                await serving.DisposeAsync();
            }

            if (_victimNode is not null && fault == MatrixFault.NodeKilled)
            {
                await slurm.StartNodeAsync(_victimNode);
            }
            else if (_victimNode is not null)
            {
                await slurm.HealNodeAsync(_victimNode);
            }
        }

        // Nothing of the cluster outlives its stop: no Slurm job, no worker (a fenced one on a healed node included).
        // A job of a killed or cut node stays COMPLETING until Slurm hears from the node again: cancelled, not running.
        await Eventually.TrueAsync(async () => (await slurm.QueueAsync(clusterId)).All(static j => j.State is "COMPLETING" or "CANCELLED"), "no job of the cluster runs or waits in squeue", TimeSpan.FromSeconds(30));
        await Eventually.TrueAsync(() => TestWorkers.FindByEnvironment("PARTITIONED_CLUSTER_ID", clusterId).Count == 0, "no worker of the cluster is left", TimeSpan.FromSeconds(60));
    }

    // Returns true when the fault stopped the cluster.
    private async Task<bool> InjectAsync(ServingCluster<int, int> serving, ServingTestSettings settings)
    {
        var directory = serving.Cluster.Directory;
        var clock = Stopwatch.StartNew();
        switch (fault)
        {
            case MatrixFault.WorkerKilled:
            {
                var victim = directory.Current[0].Replicas[0];
                _victims.Add((0, victim.Attempt));
                using var direct = new HttpClient(serving.Cluster.Transport.CreateHttpHandler()) { BaseAddress = new Uri(victim.Endpoint!, "app/") };
                Process.GetProcessById((await direct.GetFromJsonAsync<ServerInfo>("info"))!.ProcessId).Kill();
                await WaitReplacedAsync(directory, [(0, victim.Replica, victim.Attempt)]);
                break;
            }

            case MatrixFault.NodeKilled or MatrixFault.NodeCut:
            {
                _victimNode = directory.Current[0].Replicas[0].Node!;
                var onNode = directory.Current.Partitions.SelectMany(p => p.Replicas.Where(r => r.Node == _victimNode).Select(r => (p.Partition, r.Replica, r.Attempt))).ToList();
                _victims.UnionWith(onNode.Select(static v => (v.Partition, v.Attempt)));
                await (fault == MatrixFault.NodeKilled ? slurm.KillNodeAsync(_victimNode) : slurm.CutNodeAsync(_victimNode));
                await WaitReplacedAsync(directory, onNode);
                if (fault == MatrixFault.NodeCut)
                {
                    // Back on the network: its stale workers come back too, and must be fenced.
                    await slurm.HealNodeAsync(_victimNode);
                    _victimNode = null;
                }

                break;
            }

            case MatrixFault.RollingUpdate:
                (await serving.Cluster.UpdateAsync(TestServers.ServingWith(settings with { Version = "v2" }))).Should().Be(1);
                break;

            case MatrixFault.StopDuringUpdate:
            {
                var versionBefore = directory.Current.Version;
                var update = serving.Cluster.UpdateAsync(TestServers.ServingWith(settings with { Version = "v2" }));

                // Mid-rollout: at least one replica replaced, the rest still old.
                await directory.WaitUntilAsync(s => s.Partitions.Any(p => p.Replicas.Any(r => r.Version == 1)), CancellationToken.None).WaitAsync(s_wait);
                await serving.StopAsync();
                var act = async () => await update;
                (await act.Should().ThrowAsync<InvalidOperationException>()).Which.Message.Should().Contain("stopped");
                output.WriteLine($"stopped mid-rollout; directory went from version {versionBefore} to {directory.Current.Version}");
                return true;
            }
        }

        output.WriteLine($"{fault}: recovered after {clock.ElapsedMilliseconds} ms");
        return false;
    }

    private static Task WaitReplacedAsync(PartitionDirectory directory, IReadOnlyList<(int Partition, int Replica, int Attempt)> victims) =>
        directory.WaitUntilAsync(s => victims.All(v => s[v.Partition].Replicas[v.Replica] is { State: PartitionState.Serving } r && r.Attempt > v.Attempt), CancellationToken.None).WaitAsync(s_wait);

    private void Check(IReadOnlyList<CellAnswer> answers, WorkLedger ledger)
    {
        var statuses = answers.GroupBy(static a => a.Status).OrderBy(static g => g.Key).Select(static g => $"{g.Key}: {g.Count()}");
        output.WriteLine($"{mode} x {fault}: {answers.Count} requests; {string.Join(", ", statuses)}");
        foreach (var odd in answers.Where(static a => a.Status != 200).Take(5))
        {
            output.WriteLine($"  {odd.Status} at {odd.Ended.TotalSeconds:0.00} s: {odd.Error}");
        }

        answers.Should().NotContain(static a => a.TimedOut, "no request hangs");

        var failuresAllowed = mode == MatrixMode.DistributedOneReplica && fault is MatrixFault.WorkerKilled or MatrixFault.NodeKilled or MatrixFault.NodeCut;
        if (failuresAllowed)
        {
            // Only what the dead or cut partitions held fails, as 502, at once (not at a deadline).
            answers.Should().NotContain(static a => a.Status != 200 && a.Status != 502);
            answers.Count(static a => a.Status == 502).Should().BeLessThanOrEqualTo(Loops * _victims.Count);
            answers.Should().NotContain(a => a.Status == 502 && a.Ended >= _faultAt + TimeSpan.FromSeconds(15), "a request held by a lost replica is answered when the loss is declared");
        }
        else if (fault == MatrixFault.StopDuringUpdate)
        {
            // Requests accepted before the stop are answered; after it, the front says it stops (503) or refuses
            // connections (no answer, status 0).
            answers.Should().NotContain(static a => a.Status != 0 && a.Status != 200 && a.Status != 503);
        }
        else
        {
            answers.Should().OnlyContain(static a => a.Status == 200, "this setup promises no failed request for this fault");
        }

        // Run twice only when the first run was on a replica that died or was cut off (a replay, or a resend of an
        // idempotent request); a service that is not idempotent never runs twice.
        var twice = ledger.RunMoreThanOnce(Service);
        output.WriteLine($"{twice.Count} requests ran more than once");
        foreach (var (key, runs) in twice.Take(5))
        {
            var answer = answers.FirstOrDefault(a => a.Key == key);
            output.WriteLine($"  {key}: ran on {string.Join(", ", runs.Select(static r => $"p{r.Partition}/r{r.Replica}/a{r.Attempt}"))}; sent at {answer?.Sent.TotalSeconds:0.00} s, answered {answer?.Status} at {answer?.Ended.TotalSeconds:0.00} s by a{answer?.Reply?.Attempt}");
        }

        if (Service == "work-once")
        {
            twice.Should().BeEmpty("a request of a service that is not idempotent never runs twice");
        }
        else
        {
            // An idempotent request may run again where a replica is dead, cut off, suspected or slow (a replay, a
            // resend, a per-try timeout), but a few times at most, never without end.
            twice.Values.Should().NotContain(static runs => runs.Length > 3, "an idempotent request runs on at most three replicas");
            twice.Values.Where(runs => !runs.Any(r => _victims.Contains((r.Partition, r.Attempt)))).Should().NotContain(static runs => runs.Length > 2, "without a fault in its way a request runs twice at most");
        }
    }
}
