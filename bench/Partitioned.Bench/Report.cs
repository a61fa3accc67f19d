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
        Console.WriteLine("| target | connections | requests/s | p50 ms | p99 ms | errors | req/s vs bare | p99 vs bare |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var row in rows)
        {
            var bare = rows.FirstOrDefault(r => r.Target == Baseline && r.Connections == row.Connections);
            var rps = bare is null ? "" : $"{row.RequestsPerSecond / bare.RequestsPerSecond:P0}";
            var p99 = bare is null ? "" : $"{row.P99Ms / bare.P99Ms:0.00}x";
            Console.WriteLine($"| {row.Target} | {row.Connections} | {row.RequestsPerSecond:N0} | {row.P50Ms:0.###} | {row.P99Ms:0.###} | {row.Errors} | {rps} | {p99} |");
        }

        Console.WriteLine();
    }
}
