using System.Diagnostics;
using Partitioned.Clustering;
using Partitioned.Datasets;
using Partitioned.Directories;
using Partitioned.Examples;
using Partitioned.Server;
using Partitioned.Serving;

namespace Partitioned.Bench;

/// <summary>
/// A node killed beside a node cut off the network (packets dropped, no reset; healed after a while), under 64
/// closed-loop callers, in each serving setup, on the local Slurm cluster (nodes in network namespaces) with the default
/// health settings and transport: how long until the node is suspected and declared lost, which requests failed and
/// when, and how long until throughput is back to 80% of what it was.
/// </summary>
internal static class NetworkFaultBenchmark
{
    private const int Callers = 64;
    private const int Partitions = 3;
    private static readonly TimeSpan s_warmUp = TimeSpan.FromSeconds(8);
    private static readonly TimeSpan s_baseline = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan s_after = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan s_window = TimeSpan.FromMilliseconds(250);

    private static readonly (string Name, ServingMode Mode, int Replicas, string Service)[] s_setups =
    [
        ("head-node, 1 replica", ServingMode.HeadNode, 1, "hello"),
        ("distributed, 2 idempotent replicas", ServingMode.Distributed, 2, "hello-idempotent"),
        ("distributed, 1 replica", ServingMode.Distributed, 1, "hello"),
    ];

    public static async Task<List<NetworkFaultRow>> RunAsync(TimeSpan cutFor)
    {
        var alreadyRunning = await LocalSlurm.IsRunningAsync();
        var slurm = await LocalSlurm.StartAsync();
        if (!slurm.NodesElsewhere)
        {
            throw new InvalidOperationException("The network-fault benchmark needs Slurm nodes in network namespaces (scripts/slurm-local.sh could not make them).");
        }

        var rows = new List<NetworkFaultRow>();
        try
        {
            foreach (var setup in s_setups)
            {
                foreach (var cut in new[] { false, true })
                {
                    var row = await RunOneAsync(slurm, setup, cut, cutFor);
                    Console.WriteLine($"  {row.Setup}, {row.Fault}: suspected after {row.SuspectedMs:0} ms, lost after {row.LostMs:0} ms; {row.Requests} requests, {row.Failed} not 200 ({row.Statuses}); " +
                        $"last failure {row.LastFailureAfterLostMs:0} ms after the loss; throughput {row.BaselineRate:0}/s before, back to 80% after {row.BackTo80PercentMs:0} ms");
                    rows.Add(row);
                }
            }
        }
        finally
        {
            if (!alreadyRunning)
            {
                await LocalSlurm.StopAsync();
            }
        }

        return rows;
    }

    private static async Task<NetworkFaultRow> RunOneAsync(LocalSlurm slurm, (string Name, ServingMode Mode, int Replicas, string Service) setup, bool cut, TimeSpan cutFor)
    {
        var options = new ClusterOptions
        {
            Runner = new SlurmRunner(new SlurmRunnerOptions { ConfigFile = slurm.ConfigFile, WorkersOnOtherHosts = true }),
            CoordinatorBindAddress = slurm.HostAddress,
            Server = new PartitionServerOptions { BindAddress = "0.0.0.0" },
            Replicas = setup.Replicas,
        };
        await using var serving = await ServingCluster.StartAsync(
            PartitionedDataset.FromGenerator(Partitions, _ => Array.Empty<int>()),
            BenchServer.Definition,
            new ServingOptions { Mode = setup.Mode, Services = setup.Mode == ServingMode.HeadNode ? [setup.Service] : [] },
            options);
        var directory = serving.Cluster.Directory;
        var node = directory.Current[0].Replicas[0].Node!;
        var victims = directory.Current.Partitions.SelectMany(p => p.Replicas.Where(r => r.Node == node).Select(r => (p.Partition, r.Attempt))).ToHashSet();
        var clock = Stopwatch.StartNew();
        var suspected = double.NaN;
        var lost = double.NaN;
        directory.Changed += (_, change) =>
        {
            if (change.Replica is { } replica && victims.Contains((change.Partition, replica.Attempt)))
            {
                if (change.Kind == PartitionChangeKind.Suspected && double.IsNaN(suspected))
                {
                    suspected = clock.Elapsed.TotalMilliseconds;
                }
                else if (change.Kind is PartitionChangeKind.Lost or PartitionChangeKind.ErrorReported && double.IsNaN(lost))
                {
                    lost = clock.Elapsed.TotalMilliseconds;
                }
            }
        };

        await using var load = new LoadLoop(serving.GetServiceUri(setup.Service), Callers, serving.Cluster.Transport.CreateHttpHandler());
        await Task.Delay(s_warmUp + s_baseline);
        var faultAt = load.Now;
        clock.Restart();
        var script = cut ? "cut-node" : "kill-node";
        await LocalSlurm.RunScriptAsync(script, node.TrimStart('n'));
        try
        {
            await Task.Delay(cutFor);
        }
        finally
        {
            await LocalSlurm.RunScriptAsync(cut ? "heal-node" : "start-node", node.TrimStart('n'));
        }

        await Task.Delay(s_after);
        await load.StopAsync();
        var samples = load.Samples;
        var baseline = samples.Count(s => s.AtSeconds >= faultAt - s_baseline.TotalSeconds && s.AtSeconds < faultAt && s.Status == 200) / s_baseline.TotalSeconds;

        // Throughput counted by when answers ended, in windows after the fault: the first window at 80% of before.
        var ended = samples.Where(static s => s.Status == 200).Select(static s => s.AtSeconds + (s.LatencyMs / 1000)).Where(t => t >= faultAt).Order().ToArray();
        var back = double.NaN;
        for (var start = faultAt; start < faultAt + cutFor.TotalSeconds + s_after.TotalSeconds; start += s_window.TotalSeconds)
        {
            var count = ended.Count(t => t >= start && t < start + s_window.TotalSeconds);
            if (count / s_window.TotalSeconds >= 0.8 * baseline)
            {
                back = (start - faultAt) * 1000;
                break;
            }
        }

        foreach (var problem in load.Problems)
        {
            Console.WriteLine($"    {problem}");
        }

        var after = samples.Where(s => s.AtSeconds >= faultAt).ToList();
        var failed = after.Where(static s => s.Status != 200).ToList();
        var lastFailure = failed.Count == 0 ? double.NaN : (failed.Max(static s => s.AtSeconds + (s.LatencyMs / 1000)) - faultAt) * 1000;
        return new NetworkFaultRow(
            setup.Name,
            cut ? $"node cut off for {cutFor.TotalSeconds:0} s, then healed" : "node killed",
            suspected,
            lost,
            after.Count,
            failed.Count,
            string.Join(", ", failed.GroupBy(static s => s.Status).OrderBy(static g => g.Key).Select(static g => $"{g.Key}: {g.Count()}")),
            double.IsNaN(lost) ? double.NaN : lastFailure - lost,
            baseline,
            back);
    }
}

/// <summary>One setup through one fault.</summary>
internal sealed record NetworkFaultRow(
    string Setup,
    string Fault,
    double SuspectedMs,
    double LostMs,
    int Requests,
    int Failed,
    string Statuses,
    double LastFailureAfterLostMs,
    double BaselineRate,
    double BackTo80PercentMs);
