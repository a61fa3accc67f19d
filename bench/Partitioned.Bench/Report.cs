namespace Partitioned.Bench;

/// <summary>Tables for the console and the README, with every target's ratio to bare Kestrel at the same connection count.</summary>
internal static class Report
{
    public const string Baseline = "bare Kestrel";

    public static IEnumerable<object> WithRatios(IReadOnlyList<ServingRow> rows) => rows.Select(row =>
    {
        var bare = rows.FirstOrDefault(r => r.Target == Baseline && r.Connections == row.Connections);
        return new
        {
            row.Target,
            row.Connections,
            row.RequestsPerSecond,
            row.P50Ms,
            row.P99Ms,
            row.Errors,
            row.Requests,
            RpsRatioToBare = bare is null ? (double?)null : Math.Round(row.RequestsPerSecond / bare.RequestsPerSecond, 3),
            P99RatioToBare = bare is null ? (double?)null : Math.Round(row.P99Ms / bare.P99Ms, 2),
        };
    });

    public static void PrintServing(IReadOnlyList<ServingRow> rows)
    {
        Console.WriteLine();
        Console.WriteLine(ServingTable(rows));
    }

    public static string Markdown(int cores, IReadOnlyList<ServingRow> serving, IReadOnlyList<LifecycleRow> lifecycle, IReadOnlyList<RecoveryResult> recovery)
    {
        var text = new System.Text.StringBuilder();
        text.AppendLine(System.Globalization.CultureInfo.InvariantCulture, $"Machine: {cores} cores. Command: `bench/run.sh`.").AppendLine();
        if (serving.Count > 0)
        {
            text.AppendLine(ServingTable(serving));
        }

        if (lifecycle.Count > 0)
        {
            text.AppendLine("| runner | partitions | start to all registered (ms) | stop (ms) | memory per partition (MB) | CPU per worker, launch to registered (ms) | results lost |");
            text.AppendLine("|---|---:|---:|---:|---:|---:|---:|");
            foreach (var row in lifecycle)
            {
                var cpu = row.CpuMsPerWorker > 0 ? $"{row.CpuMsPerWorker:0}" : "";
                text.AppendLine(System.Globalization.CultureInfo.InvariantCulture, $"| {row.Runner} | {row.Partitions} | {row.StartMs:0} | {row.StopMs:0} | {row.MemoryPerPartitionMb:0.0} | {cpu} | {row.LostResults} |");
            }

            text.AppendLine();
        }

        if (recovery.Count > 0)
        {
            text.AppendLine("| runner | failure to serving again | median (ms) | max (ms) | samples |");
            text.AppendLine("|---|---|---:|---:|---:|");
            foreach (var result in recovery)
            {
                text.AppendLine(System.Globalization.CultureInfo.InvariantCulture, $"| {result.Runner} | {result.What} | {result.MedianMs:0} | {result.MaxMs:0} | {result.SamplesMs.Count} |");
            }
        }

        return text.ToString();
    }

    private static string ServingTable(IReadOnlyList<ServingRow> rows)
    {
        var text = new System.Text.StringBuilder();
        text.AppendLine("| target | connections | requests/s | p50 ms | p99 ms | errors | req/s vs bare | p99 vs bare |");
        text.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var row in rows)
        {
            var bare = rows.FirstOrDefault(r => r.Target == Baseline && r.Connections == row.Connections);
            var rps = bare is null ? "" : $"{row.RequestsPerSecond / bare.RequestsPerSecond:P0}";
            var p99 = bare is null ? "" : $"{row.P99Ms / bare.P99Ms:0.00}x";
            text.AppendLine(System.Globalization.CultureInfo.InvariantCulture, $"| {row.Target} | {row.Connections} | {row.RequestsPerSecond:N0} | {row.P50Ms:0.###} | {row.P99Ms:0.###} | {row.Errors} | {rps} | {p99} |");
        }

        return text.ToString();
    }
}
