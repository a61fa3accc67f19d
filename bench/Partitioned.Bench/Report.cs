namespace Partitioned.Bench;

/// <summary>Tables for the console and the README, with every target's ratio to bare Kestrel at the same connection count.</summary>
internal static class Report
{
    public const string Baseline = "bare Kestrel";

    /// <summary>The baseline of the targets served over TLS (their names end with ", TLS"): bare Kestrel over TLS, same run.</summary>
    public const string TlsBaseline = "bare Kestrel, TLS";

    /// <summary>The row a target is compared with: bare Kestrel at the same connection count, over TLS for a TLS target.</summary>
    private static ServingRow? BaselineOf(IReadOnlyList<ServingRow> rows, ServingRow row)
    {
        var baseline = row.Target.EndsWith(", TLS", StringComparison.Ordinal) ? TlsBaseline : Baseline;
        return rows.FirstOrDefault(r => r.Target == baseline && r.Connections == row.Connections);
    }

    public static IEnumerable<object> WithRatios(IReadOnlyList<ServingRow> rows) => rows.Select(row =>
    {
        var bare = BaselineOf(rows, row);
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
        Console.WriteLine(ModelTable(rows));
    }

    public static string Markdown(int cores, IReadOnlyList<ServingRow> serving, IReadOnlyList<LifecycleRow> lifecycle, IReadOnlyList<RecoveryResult> recovery, IReadOnlyList<ModelComputeRow> modelCompute)
    {
        var text = new System.Text.StringBuilder();
        text.AppendLine(System.Globalization.CultureInfo.InvariantCulture, $"Machine: {cores} cores. Command: `bench/run.sh`.").AppendLine();
        if (modelCompute.Count > 0)
        {
            text.AppendLine("| model alone (one thread, no HTTP) | rows/s |");
            text.AppendLine("|---|---:|");
            foreach (var row in modelCompute)
            {
                text.AppendLine(System.Globalization.CultureInfo.InvariantCulture, $"| {row.What} | {row.RowsPerSecond:N0} |");
            }

            text.AppendLine();
        }

        if (serving.Count > 0)
        {
            text.AppendLine(ServingTable(serving));
            text.AppendLine(ModelTable(serving));
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

    /// <summary>The two model-serving paths side by side (ONNX Runtime micro-batch against ML.NET continuous), when both ran.</summary>
    private static string ModelTable(IReadOnlyList<ServingRow> rows)
    {
        var pairs = rows.Where(static r => r.Target == ModelTarget.MlNetName)
            .Select(mlnet => (MlNet: mlnet, Onnx: rows.FirstOrDefault(r => r.Target == ModelTarget.OnnxName && r.Connections == mlnet.Connections)))
            .Where(static pair => pair.Onnx is not null)
            .ToList();
        if (pairs.Count == 0)
        {
            return string.Empty;
        }

        var text = new System.Text.StringBuilder();
        text.AppendLine("| connections | ML.NET continuous req/s | p99 ms | ONNX Runtime micro-batch req/s | p99 ms | ONNX / ML.NET req/s | ONNX / ML.NET p99 |");
        text.AppendLine("|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var (mlnet, onnx) in pairs)
        {
            text.AppendLine(System.Globalization.CultureInfo.InvariantCulture,
                $"| {mlnet.Connections} | {mlnet.RequestsPerSecond:N0} | {mlnet.P99Ms:0.###} | {onnx!.RequestsPerSecond:N0} | {onnx.P99Ms:0.###} | {onnx.RequestsPerSecond / mlnet.RequestsPerSecond:0.00}x | {onnx.P99Ms / mlnet.P99Ms:0.00}x |");
        }

        return text.ToString();
    }

    /// <summary>Every row with its ratios to its baseline (bare Kestrel; over TLS for the ", TLS" targets).</summary>
    private static string ServingTable(IReadOnlyList<ServingRow> rows)
    {
        var text = new System.Text.StringBuilder();
        text.AppendLine("| target | connections | requests/s | p50 ms | p99 ms | errors | req/s vs bare | p99 vs bare |");
        text.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var row in rows)
        {
            var bare = BaselineOf(rows, row);
            var rps = bare is null ? "" : $"{row.RequestsPerSecond / bare.RequestsPerSecond:P0}";
            var p99 = bare is null ? "" : $"{row.P99Ms / bare.P99Ms:0.00}x";
            text.AppendLine(System.Globalization.CultureInfo.InvariantCulture, $"| {row.Target} | {row.Connections} | {row.RequestsPerSecond:N0} | {row.P50Ms:0.###} | {row.P99Ms:0.###} | {row.Errors} | {rps} | {p99} |");
        }

        return text.ToString();
    }
}
