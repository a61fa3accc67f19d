using System.Globalization;
using System.Text.Json;
using Partitioned.Bench;
using Partitioned.Clustering;
using Partitioned.Server;

// Worker mode: the process runner starts this app again for each partition of the lifecycle benchmark.
if (PartitionWorker.IsWorkerProcess)
{
    return await PartitionWorker.RunAsync(BenchServer.Definition);
}

// Usage: Partitioned.Bench [serving] [lifecycle] [--duration 10] [--warmup 2] [--connections 1,16,64] [--partitions 1,4,16,64]
//                          [--only <target name part>] [--python /usr/bin/python3] [--bench-folder bench] [--out bench/results]
var benchFolder = Option("--bench-folder") ?? "bench";
var outFolder = Option("--out") ?? Path.Combine(benchFolder, "results");
var runAll = !args.Contains("serving") && !args.Contains("lifecycle");
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
RecoveryResult? recovery = null;
if (settings.Serving)
{
    Console.WriteLine($"Serving: wrk for {settings.Duration.TotalSeconds} s per level after a {settings.Warmup.TotalSeconds} s warm-up.");
    serving = await ServingBenchmark.RunAsync(settings);
    Report.PrintServing(serving);
}

if (settings.Lifecycle)
{
    Console.WriteLine("Cluster lifecycle (median of 3; memory: driver managed heap per partition in-process, resident set per worker process):");
    lifecycle = await LifecycleBenchmark.RunAsync(settings, [("in-process", InProcessRunner.Instance, 64), ("process", new ProcessRunner(), 64)]);
    recovery = await RecoveryBenchmark.RunAsync();
}

var json = Path.Combine(outFolder, "results.json");
await File.WriteAllTextAsync(json, JsonSerializer.Serialize(
    new { machine, serving = Report.WithRatios(serving), lifecycle, recovery },
    new JsonSerializerOptions(JsonSerializerDefaults.Web) { WriteIndented = true }));
await File.WriteAllTextAsync(Path.Combine(outFolder, "summary.md"), Report.Markdown(machine.cores, serving, lifecycle, recovery));
Console.WriteLine($"Results written to {json} and summary.md");
return 0;

string? Option(string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();
