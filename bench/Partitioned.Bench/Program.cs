using System.Globalization;
using System.Text.Json;
using Partitioned.Bench;
using Partitioned.Clustering;
using Partitioned.Server;

// Worker mode: the process runner starts this app again for each partition of the lifecycle benchmark.
if (PartitionWorker.IsWorkerProcess)
{
    return await PartitionWorker.RunAsync(BenchServer.Definition, ScaleServer.Definition);
}

// Usage: Partitioned.Bench [serving] [lifecycle] [model-compute] [replicas] [remote-watch] [tail [--tail-duration 10] [--tail-rounds 2]] [network-faults [--cut-duration 15]] [autoscale [--scale-downs 20]] [batching] [--duration 10] [--warmup 2] [--connections 1,16,64] [--partitions 1,4,16,64]
//                          [--only <target name part>[,<part>...]] [--python /usr/bin/python3] [--bench-folder bench] [--out bench/results]
//                          [--no-slurm] (lifecycle: skip the Slurm runner, which starts the local Slurm cluster as root)
//                          [--r2r-worker <published app>] (lifecycle: also the process runner with this ReadyToRun build as the worker)
//                          scale [--scale-parts process,slurm,coordinator] [--scale-repeats 3] [--scale-scatters 30] (issue 20's scale targets; alone)
//                                [--scale-process-partitions 64] [--scale-executors 4] [--scale-baseline-partitions 64] (process runner: executors beside a process per partition; 0: no baseline)
//                                [--scale-slurm-partitions 1024] [--scale-slurm-executors-per-node 1] (local Slurm instance 8, started when it does not run)
//                                [--scale-coordinator-partitions 10000] [--scale-fake-executors 100] [--scale-watchers 100] [--scale-watcher-processes 4] [--scale-watcher-gc background|blocking] [--scale-changes 100] (coordinator alone, simulated partitions; watchers in processes of their own, 0: in this one)
// A process of remote Watch clients for the scale benchmark (it starts this app again so).
if (args is ["scale-watch", ..])
{
    return await ScaleWatchers.RunChildAsync(args);
}

var benchFolder = Option("--bench-folder") ?? "bench";
var outFolder = Option("--out") ?? Path.Combine(benchFolder, "results");
if (args.Contains("scale"))
{
    // Not part of the default run: it starts thousands of partitions and a Slurm cluster of its own.
    ScaleWatchers.GcConcurrent = Option("--scale-watcher-gc") != "blocking";
    Console.WriteLine($"Machine: {Environment.ProcessorCount} cores, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}, load average {File.ReadAllText("/proc/loadavg").Split(' ')[0]} at start (shared: compare ratios within a run)");
    return await ScaleBenchmark.RunAsync(new ScaleSettings(
        (Option("--scale-parts") ?? "process,slurm,coordinator").Split(','),
        IntOption("--scale-repeats", 3),
        IntOption("--scale-scatters", 30),
        IntOption("--scale-process-partitions", 64),
        IntOption("--scale-executors", 4),
        IntOption("--scale-baseline-partitions", 64),
        IntOption("--scale-slurm-partitions", 1024),
        IntOption("--scale-slurm-executors-per-node", 1),
        IntOption("--scale-coordinator-partitions", 10_000),
        IntOption("--scale-fake-executors", 100),
        IntOption("--scale-watchers", 100),
        IntOption("--scale-changes", 100),
        IntOption("--scale-watcher-processes", 4)), outFolder);
}

var runAll = !args.Contains("serving") && !args.Contains("lifecycle") && !args.Contains("model-compute") && !args.Contains("replicas") && !args.Contains("remote-watch") && !args.Contains("network-faults") && !args.Contains("tail") && !args.Contains("autoscale") && !args.Contains("batching");
var settings = new BenchSettings(
    benchFolder,
    Option("--python") ?? "/usr/bin/python3",
    TimeSpan.FromSeconds(int.Parse(Option("--duration") ?? "10", CultureInfo.InvariantCulture)),
    TimeSpan.FromSeconds(int.Parse(Option("--warmup") ?? "2", CultureInfo.InvariantCulture)),
    [.. (Option("--connections") ?? "1,16,64").Split(',').Select(int.Parse)],
    [.. (Option("--partitions") ?? "1,4,16,64").Split(',').Select(int.Parse)],
    runAll || args.Contains("serving"),
    runAll || args.Contains("lifecycle"),
    Option("--only"));

Directory.CreateDirectory(outFolder);
var machine = new
{
    cores = Environment.ProcessorCount,
    os = System.Runtime.InteropServices.RuntimeInformation.OSDescription,
    runtime = System.Runtime.InteropServices.RuntimeInformation.FrameworkDescription,
    date = DateTimeOffset.UtcNow.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
};
Console.WriteLine($"Machine: {machine.cores} cores, {machine.os}, {machine.runtime}");

List<ServingRow> serving = [];
List<LifecycleRow> lifecycle = [];
List<RecoveryResult> recovery = [];
List<ModelComputeRow> modelCompute = [];
List<ReplicaRow> replicas = [];
if (args.Contains("replicas"))
{
    // Not part of the default run: it kills workers for a minute per scenario.
    var replicaDuration = TimeSpan.FromSeconds(int.Parse(Option("--replica-duration") ?? "60", CultureInfo.InvariantCulture));
    if (replicaDuration < TimeSpan.FromSeconds(20))
    {
        // A worker is killed every 10 s: a shorter run kills none and measures nothing.
        Console.Error.WriteLine($"--replica-duration must be at least 20 (seconds; a worker is killed every 10 s), was {replicaDuration.TotalSeconds}.");
        return 2;
    }

    Console.WriteLine($"Replicas: kill under load for {replicaDuration.TotalSeconds} s per scenario, and rolling updates:");
    replicas = await ReplicaBenchmark.RunAsync(replicaDuration);
    await File.WriteAllTextAsync(Path.Combine(outFolder, "replicas.json"), JsonSerializer.Serialize(replicas, new JsonSerializerOptions(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals, // a p99 of no requests is NaN
    }));
    if (!runAll && !args.Contains("serving") && !args.Contains("lifecycle") && !args.Contains("model-compute"))
    {
        Console.WriteLine($"Results written to {Path.Combine(outFolder, "replicas.json")}");
        return 0;
    }
}
if (args.Contains("tail"))
{
    // Not part of the default run: 32 in-process replicas, each routing setup in interleaved rounds.
    var tailDuration = TimeSpan.FromSeconds(int.Parse(Option("--tail-duration") ?? "10", CultureInfo.InvariantCulture));
    var tailRounds = int.Parse(Option("--tail-rounds") ?? "2", CultureInfo.InvariantCulture);
    Console.WriteLine($"Tail: 16 partitions x 2 replicas, replica 0 of each stalls 100 ms on 2% of calls; scatter-gather, {tailRounds} rounds of {tailDuration.TotalSeconds} s per setup:");
    var tail = await TailBenchmark.RunAsync(tailDuration, tailRounds);
    var tailFolder = Path.Combine(outFolder, "tail");
    Directory.CreateDirectory(tailFolder);
    await File.WriteAllTextAsync(Path.Combine(tailFolder, "tail.json"), JsonSerializer.Serialize(tail, new JsonSerializerOptions(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
    }));
    Console.WriteLine($"Results written to {Path.Combine(tailFolder, "tail.json")}");
    if (!runAll && !args.Contains("serving") && !args.Contains("lifecycle") && !args.Contains("model-compute") && !args.Contains("network-faults") && !args.Contains("remote-watch"))
    {
        return 0;
    }
}

if (args.Contains("autoscale"))
{
    // Not part of the default run: a few minutes of load steps, square waves and scale-downs.
    Console.WriteLine("Autoscaling per partition:");
    var autoscale = await AutoscaleBenchmark.RunAsync(int.Parse(Option("--scale-downs") ?? "20", CultureInfo.InvariantCulture));
    await File.WriteAllTextAsync(Path.Combine(outFolder, "autoscale.json"), JsonSerializer.Serialize(autoscale, new JsonSerializerOptions(JsonSerializerDefaults.Web) { WriteIndented = true }));
    Console.WriteLine($"Results written to {Path.Combine(outFolder, "autoscale.json")}");
    if (!runAll && !args.Contains("serving") && !args.Contains("lifecycle") && !args.Contains("model-compute") && !args.Contains("network-faults") && !args.Contains("remote-watch"))
    {
        return 0;
    }
}

if (args.Contains("network-faults"))
{
    // Not part of the default run: it cuts and kills nodes of the local Slurm cluster, a minute or two per setup.
    var cutFor = TimeSpan.FromSeconds(int.Parse(Option("--cut-duration") ?? "15", CultureInfo.InvariantCulture));
    Console.WriteLine($"Network faults: a node killed and a node cut off for {cutFor.TotalSeconds} s under 64 callers, per serving setup (local Slurm, default health settings and transport):");
    var faults = await NetworkFaultBenchmark.RunAsync(cutFor);
    await File.WriteAllTextAsync(Path.Combine(outFolder, "network-faults.json"), JsonSerializer.Serialize(faults, new JsonSerializerOptions(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
    }));
    Console.WriteLine($"Results written to {Path.Combine(outFolder, "network-faults.json")}");
    if (!runAll && !args.Contains("serving") && !args.Contains("lifecycle") && !args.Contains("model-compute"))
    {
        return 0;
    }
}

if (args.Contains("batching"))
{
    // Not part of the default run: latency-target micro-batching vs fixed windows, open-loop, about 2 minutes.
    var batchingFor = TimeSpan.FromSeconds(int.Parse(Option("--duration") ?? "4", CultureInfo.InvariantCulture));
    Console.WriteLine($"Batching: ONNX Runtime micro-batch, latency target vs fixed windows, {batchingFor.TotalSeconds} s per policy and load:");
    var batching = await BatchingBenchmark.RunAsync(settings.BenchFolder, batchingFor);
    await File.WriteAllTextAsync(Path.Combine(outFolder, "batching.json"), JsonSerializer.Serialize(batching, new JsonSerializerOptions(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
    }));
    await File.WriteAllTextAsync(Path.Combine(outFolder, "summary.md"), BatchingBenchmark.Markdown(machine.cores, batchingFor, batching));
    Console.WriteLine($"Results written to {Path.Combine(outFolder, "batching.json")} and summary.md");
    return 0;
}

if (runAll || args.Contains("model-compute"))
{
    Console.WriteLine("Model compute alone (the ModelServing classifier, one thread, no HTTP):");
    modelCompute = ModelComputeBenchmark.Run(ModelTarget.Train(settings.BenchFolder).Value);
}

if (settings.Serving)
{
    Console.WriteLine($"Serving: wrk for {settings.Duration.TotalSeconds} s per level after a {settings.Warmup.TotalSeconds} s warm-up.");
    serving = await ServingBenchmark.RunAsync(settings);
    Report.PrintServing(serving);
}

if (settings.Lifecycle)
{
    Console.WriteLine("Cluster lifecycle (median of 3; memory: driver managed heap per partition in-process, resident set per worker process; cpu: per worker, launch to registered):");
    await using var slurm = args.Contains("--no-slurm") ? null : await BenchSlurm.TryStartAsync();
    BenchRunner inProcess = new("in-process", new ClusterOptions { Runner = InProcessRunner.Instance }, 64);
    BenchRunner process = new("process", new ClusterOptions { Runner = new ProcessRunner() }, 64);
    List<BenchRunner> runners = [inProcess, process];
    if (Option("--r2r-worker") is { } readyToRun)
    {
        // The same app published ReadyToRun (run.sh publishes it): its workers start with less JIT.
        runners.Add(new("process, ReadyToRun", new ClusterOptions { Runner = new ProcessRunner(new ProcessRunnerOptions { Executable = Path.GetFullPath(readyToRun) }) }, 64));
    }

    if (slurm is not null)
    {
        runners.Add(slurm.Runner);
    }

    lifecycle = await LifecycleBenchmark.RunAsync(settings, runners);
    Console.WriteLine("Recovery:");
    recovery.Add(await RecoveryBenchmark.WorkerKillAsync(process));
    if (slurm is not null)
    {
        recovery.Add(await RecoveryBenchmark.WorkerKillAsync(slurm.Runner));
        recovery.Add(await RecoveryBenchmark.NodeKillAsync(slurm.Runner, slurm.KillNodeAsync, slurm.StartNodeAsync));
    }
}

if (runAll || args.Contains("remote-watch"))
{
    Console.WriteLine("Remote client (Partitioned.Client over gRPC Watch):");
    recovery.Add(await RemoteWatchBenchmark.RunAsync());
}

var json = Path.Combine(outFolder, "results.json");
await File.WriteAllTextAsync(json, JsonSerializer.Serialize(
    new { machine, serving = Report.WithRatios(serving), lifecycle, recovery, modelCompute },
    new JsonSerializerOptions(JsonSerializerDefaults.Web) { WriteIndented = true }));
await File.WriteAllTextAsync(Path.Combine(outFolder, "summary.md"), Report.Markdown(machine.cores, serving, lifecycle, recovery, modelCompute));
Console.WriteLine($"Results written to {json} and summary.md");
if (lifecycle.Sum(static r => r.LostResults) is > 0 and var lost)
{
    Console.Error.WriteLine($"FAILED: stopping clusters lost the results of {lost} partition(s) (see the LOST RESULTS lines above).");
    return 1;
}

return 0;

string? Option(string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();

int IntOption(string name, int fallback) => Option(name) is { } value ? int.Parse(value, CultureInfo.InvariantCulture) : fallback;
