namespace Partitioned.Tests.Parquet;

/// <summary>
/// The million-row memory measurement runs alone, after the parallel tests: its 16 worker processes would load the
/// machine under timing-sensitive tests, and their load would blur its own measurement.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ParquetMemoryCollection
{
    public const string Name = "Parquet memory (alone)";
}
