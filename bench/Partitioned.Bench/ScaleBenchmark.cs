using System.Globalization;
using System.Text;
using System.Text.Json;
using Partitioned.Clustering;
using Partitioned.Coordination;
using Partitioned.Examples;
using Partitioned.Server;

namespace Partitioned.Bench;

/// <summary>
/// The scale targets of issue 20, each part on its own (<c>scale --scale-parts process,slurm,coordinator</c>):
/// <list type="bullet">
/// <item>process: partitions in a few executors (<see cref="ProcessRunner"/>) beside the same count a process each, in one run;</item>
/// <item>slurm: many partitions in executors on the local 3-node Slurm cluster (instance <see cref="SlurmInstance"/>, started here when it does not run);</item>
/// <item>coordinator: the coordinator alone with simulated partitions and remote Watch clients.</item>
/// </list>
/// Writes <c>scale.json</c> and <c>scale-summary.md</c> into the output folder.
/// </summary>
internal static class ScaleBenchmark
{
    /// <summary>The local Slurm instance the scale benchmark uses (others run tests on their own instances meanwhile).</summary>
    public const int SlurmInstance = 8;

    public static async Task<int> RunAsync(ScaleSettings settings, string outFolder)
    {
        var clusterRows = new List<ScaleClusterRow>();
        ScaleCoordinatorRow? coordinatorRow = null;
        if (settings.Parts.Contains("process"))
        {
            Console.WriteLine($"Scale, process runner: {settings.ProcessPartitions} partitions in {settings.ProcessExecutors} executors (x{settings.Repeats}), then {settings.BaselinePartitions} partitions a process each (once):");
            var executors = new ClusterOptions { Runner = new ProcessRunner(new ProcessRunnerOptions { Executors = settings.ProcessExecutors }) };
            for (var i = 0; i < settings.Repeats; i++)
            {
                clusterRows.Add(await ScaleClusterBenchmark.MeasureAsync($"process, {settings.ProcessExecutors} executors", executors, settings.ProcessPartitions, settings.Scatters));
            }

            if (settings.BaselinePartitions > 0)
            {
                clusterRows.Add(await ScaleClusterBenchmark.MeasureAsync("process, a process per partition", new ClusterOptions { Runner = new ProcessRunner() }, settings.BaselinePartitions, settings.Scatters));
            }
        }

        if (settings.Parts.Contains("inprocess"))
        {
            Console.WriteLine($"Scale, in-process runner: {settings.ProcessPartitions} partitions (x{settings.Repeats}):");
            for (var i = 0; i < settings.Repeats; i++)
            {
                clusterRows.Add(await ScaleClusterBenchmark.MeasureAsync("in-process", new ClusterOptions { Runner = InProcessRunner.Instance }, settings.ProcessPartitions, settings.Scatters));
            }
        }

        if (settings.Parts.Contains("slurm"))
        {
            var running = await LocalSlurm.IsRunningAsync(SlurmInstance);
            var slurm = await LocalSlurm.StartAsync(SlurmInstance);
            try
            {
                var nodes = 3;
                var perExecutor = (settings.SlurmPartitions + (nodes * settings.SlurmExecutorsPerNode) - 1) / (nodes * settings.SlurmExecutorsPerNode);
                Console.WriteLine($"Scale, Slurm (local instance {SlurmInstance}, {nodes} nodes): {settings.SlurmPartitions} partitions, {settings.SlurmExecutorsPerNode} executor(s) per node of {perExecutor} slots (x{settings.Repeats}):");
                var options = new ClusterOptions
                {
                    Runner = new SlurmRunner(new SlurmRunnerOptions
                    {
                        ConfigFile = slurm.ConfigFile,
                        WorkersOnOtherHosts = slurm.NodesElsewhere,
                        ExecutorsPerNode = settings.SlurmExecutorsPerNode,
                        PartitionsPerExecutor = perExecutor,
                    }),
                    CoordinatorBindAddress = slurm.HostAddress,

                    // Cleartext, as the lifecycle benchmark on Slurm: the nodes are namespaces on this machine's bridge, and
                    // TLS's own cost is measured by the serving-tls target.
                    Transport = TransportSecurity.Cleartext,
                    AllowCleartextAcrossHosts = true,
                    Server = new PartitionServerOptions { BindAddress = slurm.NodesElsewhere ? "0.0.0.0" : "127.0.0.1" },
                    StartTimeout = TimeSpan.FromMinutes(5),

                    // The first scatter-gather reaches 1,024 cold servers (each builds and compiles its routes on its first
                    // request: about 10 ms of CPU each here), which on this shared 2-core machine held the executors' health
                    // answers past a 2 s timeout three times in a row: whole executors (342 partitions each) were declared
                    // lost and re-launched, again and again. A 10 s timeout rides that out (see docs/performance.md, Scale).
                    HealthCheckTimeout = TimeSpan.FromSeconds(10),
                };
                for (var i = 0; i < settings.Repeats; i++)
                {
                    clusterRows.Add(await ScaleClusterBenchmark.MeasureAsync($"slurm, {nodes * settings.SlurmExecutorsPerNode} executors", options, settings.SlurmPartitions, settings.Scatters));
                }
            }
            finally
            {
                if (!running)
                {
                    await LocalSlurm.StopAsync(SlurmInstance);
                }
            }
        }

        if (settings.Parts.Contains("coordinator"))
        {
            Console.WriteLine($"Scale, the coordinator alone: {settings.CoordinatorPartitions} simulated partitions, {settings.Watchers} remote Watch clients:");
            try
            {
                coordinatorRow = await ScaleCoordinatorBenchmark.RunAsync(settings.CoordinatorPartitions, settings.FakeExecutors, settings.Watchers, settings.WatcherProcesses, settings.Changes);
            }
            catch (Exception ex) when (ex is InvalidOperationException or TimeoutException or Grpc.Core.RpcException)
            {
                // Said, and the other parts' results are still written.
                Console.WriteLine($"  coordinator alone: FAILED: {ex.Message}");
            }
        }

        Directory.CreateDirectory(outFolder);
        await File.WriteAllTextAsync(Path.Combine(outFolder, "scale.json"), JsonSerializer.Serialize(new { settings, cluster = clusterRows, coordinator = coordinatorRow }, new JsonSerializerOptions(JsonSerializerDefaults.Web) { WriteIndented = true }));
        await File.WriteAllTextAsync(Path.Combine(outFolder, "scale-summary.md"), Markdown(clusterRows, coordinatorRow));
        Console.WriteLine($"Results written to {Path.Combine(outFolder, "scale.json")} and scale-summary.md");
        return clusterRows.All(static r => r.ResultsInOrder) ? 0 : 1;
    }

    private static string Markdown(IReadOnlyList<ScaleClusterRow> rows, ScaleCoordinatorRow? coordinator)
    {
        var text = new StringBuilder();
        if (rows.Count > 0)
        {
            text.AppendLine("| setup | partitions | processes | all serving (ms) | start CPU driver / workers (s) | driver resident / heap (MB) | worker resident (MB) | scatter first / median / p90 (ms) | first scatter CPU driver / workers (ms) | scatter CPU per call driver / workers (ms) | stop (ms) | results in order |");
            text.AppendLine("|---|---|---|---|---|---|---|---|---|---|---|---|");
            foreach (var row in rows)
            {
                var workers = row.WorkerResidentMb.Count == 0 ? "-" : row.WorkerResidentMb.Count <= 4
                    ? string.Join(" / ", row.WorkerResidentMb.Select(static m => m.ToString("0", CultureInfo.InvariantCulture)))
                    : $"{row.WorkerResidentMb.Sum():0} in all ({row.WorkerResidentMb[0]:0} to {row.WorkerResidentMb[^1]:0} each)";
                var scatter = row.ScatterMedianMs is null ? "-" : $"{row.FirstScatterMs:0} / {row.ScatterMedianMs:0.0} / {row.ScatterP90Ms:0.0}";
                text.AppendLine(CultureInfo.InvariantCulture, $"| {row.Setup} | {row.Partitions} | {row.WorkerProcesses} | {row.StartMs:0} | {row.DriverStartCpuMs / 1000:0.0} / {row.WorkerCpuMs / 1000:0.0} | {row.DriverResidentMb:0} / {row.DriverHeapMb:0} | {workers} | {scatter} | " +
                    $"{row.FirstScatterDriverCpuMs:0} / {row.FirstScatterWorkerCpuMs:0} | {row.ScatterDriverCpuMs:0} / {row.ScatterWorkerCpuMs:0} | {row.StopMs:0} | {(row.ResultsInOrder ? "yes" : "NO")} |");
            }
        }

        if (coordinator is { } c)
        {
            text.AppendLine();
            text.AppendLine(CultureInfo.InvariantCulture, $"Coordinator alone: {c.Partitions} simulated partitions ({(c.FakeExecutors == 0 ? "a process each" : $"{c.FakeExecutors} fake executors")}) registered over HTTP in {c.RegisterMs:0} ms; " +
                $"directory {c.DirectoryKbPerPartition:0.0} KB of driver heap per partition ({c.HeapBeforeMb:0} MB before the coordinator, {c.HeapPendingMb:0} MB pending, {c.HeapRegisteredMb:0} MB registered; resident {c.ResidentMb:0} MB); " +
                $"health checks {c.HealthChecksPerSecond:0}/s; {c.Watchers} remote Watch clients connected in {c.WatchersConnectMs:0} ms; {c.Changes} changes, {c.Deliveries} deliveries: median {c.ChangeMedianMs:0.0} ms, p99 {c.ChangeP99Ms:0.0} ms, max {c.ChangeMaxMs:0.0} ms.");
        }

        return text.ToString();
    }
}

/// <summary>What the scale benchmark measures, from its command line.</summary>
internal sealed record ScaleSettings(
    IReadOnlyList<string> Parts, int Repeats, int Scatters, int ProcessPartitions, int ProcessExecutors, int BaselinePartitions,
    int SlurmPartitions, int SlurmExecutorsPerNode, int CoordinatorPartitions, int FakeExecutors, int Watchers, int Changes, int WatcherProcesses);
