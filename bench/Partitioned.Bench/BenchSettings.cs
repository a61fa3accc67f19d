namespace Partitioned.Bench;

/// <summary>What to run and for how long (from the command line).</summary>
internal sealed record BenchSettings(
    string BenchFolder,
    string Python,
    TimeSpan Duration,
    TimeSpan Warmup,
    IReadOnlyList<int> Connections,
    IReadOnlyList<int> PartitionCounts,
    bool Serving,
    bool Lifecycle,
    string? Only);
