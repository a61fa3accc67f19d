namespace Partitioned.Testing;

/// <summary>What a <see cref="ReadingsServer"/> saw: its rows counted and summed (the rows themselves are not kept).</summary>
public sealed record ReadingsSummary(int Partition, long Count, double Sum, long MissingQuality, long FirstId, int ProcessId);
