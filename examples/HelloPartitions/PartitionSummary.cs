namespace HelloPartitions;

/// <summary>What one partition hands back when it stops.</summary>
public sealed record PartitionSummary(int Partition, int Count, long Sum);
