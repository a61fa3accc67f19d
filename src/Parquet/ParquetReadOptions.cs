using System.Text.Json;
using Microsoft.Extensions.Options;

namespace Partitioned.Parquet;

/// <summary>How Parquet files become a dataset. Checked when the dataset is created.</summary>
public sealed record ParquetReadOptions
{
    /// <summary>One partition per file (default) or one per row group.</summary>
    public ParquetPartitioning PartitionBy { get; init; } = ParquetPartitioning.File;

    /// <summary>
    /// The most row groups held decoded in memory at once, over every partition of the dataset. Parquet is
    /// columnar, so a row group is the unit that is read; partitions read concurrently wait for a turn beyond this.
    /// Default: the number of cores, at least 2. A consumer that reads several partitions of one dataset in
    /// lockstep (zips them) needs at least as many.
    /// </summary>
    public int MaxRowGroupsInMemory { get; init; } = Math.Max(2, Environment.ProcessorCount);

    /// <summary>
    /// The row type's contract: member names (a column maps to the member whose JSON name it matches, ignoring
    /// case when the options do), which members are required and which accept null. Default: the worker
    /// protocol's rules (camelCase, a missing required member or a null where none is allowed is an error).
    /// </summary>
    public JsonSerializerOptions? Json { get; init; }

    internal void Validate()
    {
        if (MaxRowGroupsInMemory < 1)
        {
            throw new OptionsValidationException(nameof(ParquetReadOptions), typeof(ParquetReadOptions),
                [$"{nameof(MaxRowGroupsInMemory)} must be at least 1 (was {MaxRowGroupsInMemory})."]);
        }
    }
}
