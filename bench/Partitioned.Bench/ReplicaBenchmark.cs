using System.Diagnostics;
using Partitioned.Clustering;
using Partitioned.Datasets;
using Partitioned.Serving;

namespace Partitioned.Bench;

/// <summary>
/// Replicas under load through the gateway (process runner, 2 partitions, 16 callers): a worker killed every 10 s
/// with one and two replicas per partition (requests, answers that were not 200, time from the kill to every replica
/// serving again), and a rolling update's effect on p99 (the second before it against the rollout itself).
/// </summary>
internal static class ReplicaBenchmark
{
    private const int Callers = 16;
    private static readonly TimeSpan s_killEvery = TimeSpan.FromSeconds(10);

    public static async Task<List<ReplicaRow>> RunAsync(TimeSpan duration)
    {
        var rows = new List<ReplicaRow>
        {
            await KillUnderLoadAsync(1, "hello", duration),
            await KillUnderLoadAsync(2, "hello", duration),
            await KillUnderLoadAsync(2, "hello-idempotent", duration),
            await RollingUpdateAsync(1, "hello"),
            await RollingUpdateAsync(2, "hello"),
        };
        return rows;
    }

    private static Task<ServingCluster<int, int>> StartAsync(int replicas) =>
        ServingCluster.StartAsync(
            PartitionedDataset.FromGenerator(2, _ => Array.Empty<int>()),
            BenchServer.Definition,
            new ServingOptions(),
            // Every kill is a failed attempt: allow plenty, so a minute of kills does not fail a partition for good.
            new ClusterOptions { Runner = new ProcessRunner(), Replicas = replicas, MaxAttempts = 1000, HealthCheckInterval = TimeSpan.FromMilliseconds(500) });

    private static async Task<ReplicaRow> KillUnderLoadAsync(int replicas, string service, TimeSpan duration)
    {
        await using var serving = await StartAsync(replicas);
        var recoveries = new List<double>();
        var load = new LoadLoop(new Uri(serving.Address, "serve/" + service), Callers);
        await using (load)
        {
            var random = new Random(13);
            var end = Stopwatch.StartNew();
            while (end.Elapsed + s_killEvery <= duration)
            {
                await Task.Delay(s_killEvery);
                var partition = random.Next(2);
                var replica = random.Next(replicas);
                var victim = serving.Cluster.Directory.Current[partition].Replicas[replica];
                var pid = WorkerProcesses.Of(serving.Cluster.Id, partition).FirstOrDefault(p => WorkerProcesses.Attempt(p) == victim.Attempt);
                if (pid == 0)
                {
                    continue;
                }

                var clock = Stopwatch.StartNew();
                using (var process = Process.GetProcessById(pid))
                {
                    process.Kill();
                }

                try
                {
                    await serving.Cluster.Directory.WaitUntilAsync(s => s.IsFullStrength && s[partition].Replicas[replica].Attempt != victim.Attempt, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(60));
                    recoveries.Add(clock.Elapsed.TotalMilliseconds);
                }
                catch (TimeoutException)
                {
                    var entries = serving.Cluster.Directory.Current.Partitions.SelectMany(static p => p.Replicas.Select(r => $"{p.Partition}/{r.Replica}: {r.State} attempt {r.Attempt} {r.LastError}"));
                    Console.WriteLine($"  not back at full strength 60 s after killing partition {partition} replica {replica} attempt {victim.Attempt}: {string.Join("; ", entries)}");
                    Console.WriteLine($"  attempts: {string.Join("; ", serving.Cluster.Attempts.Select(static a => $"{a.Partition}/{a.Replica} #{a.Attempt} {a.Status} {a.Error}"))}");
                    throw;
                }
            }

            await load.StopAsync();
        }

        var samples = load.Samples;
        var row = new ReplicaRow(
            $"kill -9 every {s_killEvery.TotalSeconds:0} s, {replicas} replica(s), {service}",
            samples.Count,
            samples.Count(static s => s.Status != 200),
            recoveries.Count,
            recoveries.Count == 0 ? 0 : recoveries.Order().ElementAt(recoveries.Count / 2),
            recoveries.Count == 0 ? 0 : recoveries.Max(),
            LoadLoop.Percentile(samples.Select(static s => s.LatencyMs), 99),
            null);
        Console.WriteLine($"  {row}");
        return row;
    }

    private static async Task<ReplicaRow> RollingUpdateAsync(int replicas, string service)
    {
        await using var serving = await StartAsync(replicas);
        var load = new LoadLoop(new Uri(serving.Address, "serve/" + service), Callers);
        double started, ended;
        await using (load)
        {
            await Task.Delay(TimeSpan.FromSeconds(6));
            started = load.Now;
            await serving.Cluster.UpdateAsync(BenchServer.Definition);
            ended = load.Now;
            await Task.Delay(TimeSpan.FromSeconds(2));
            await load.StopAsync();
        }

        var samples = load.Samples;
        var before = samples.Where(s => s.AtSeconds > 1 && s.AtSeconds < started).Select(static s => s.LatencyMs);
        var during = samples.Where(s => s.AtSeconds >= started && s.AtSeconds <= ended).Select(static s => s.LatencyMs);
        var row = new ReplicaRow(
            $"rolling update, {replicas} replica(s), {service} ({ended - started:0.0} s)",
            samples.Count,
            samples.Count(static s => s.Status != 200),
            0,
            0,
            0,
            LoadLoop.Percentile(during, 99),
            LoadLoop.Percentile(before, 99));
        Console.WriteLine($"  {row}");
        return row;
    }
}

/// <summary>One replica scenario: requests, answers that were not 200, recovery times, p99 (and p99 before, for a rollout).</summary>
internal sealed record ReplicaRow(string Scenario, int Requests, int NotOk, int Kills, double MedianToFullStrengthMs, double MaxToFullStrengthMs, double P99Ms, double? P99BeforeMs);
