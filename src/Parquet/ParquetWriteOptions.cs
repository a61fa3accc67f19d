using System.Text.Json;
using Microsoft.Extensions.Options;

namespace Partitioned.Parquet;

/// <summary>How a dataset is written as Parquet. Checked when the write starts.</summary>
public sealed record ParquetWriteOptions
{
    /// <summary>Rows per row group; the writer holds one row group of a partition in memory at a time. Default 100,000.</summary>
    public int RowGroupSize { get; init; } = 100_000;

    /// <summary>The row type's contract: column names are the members' JSON names. Default: the worker protocol's rules (camelCase).</summary>
    public JsonSerializerOptions? Json { get; init; }

    internal void Validate()
    {
        if (RowGroupSize < 1)
        {
            throw new OptionsValidationException(nameof(ParquetWriteOptions), typeof(ParquetWriteOptions),
                [$"{nameof(RowGroupSize)} must be at least 1 (was {RowGroupSize})."]);
        }
    }
}
