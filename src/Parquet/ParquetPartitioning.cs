namespace Partitioned.Parquet;

/// <summary>How Parquet files are split into partitions.</summary>
public enum ParquetPartitioning
{
    /// <summary>One partition per file; its row groups are read one after another.</summary>
    File,

    /// <summary>One partition per row group of every file (a file without row groups is one empty partition).</summary>
    RowGroup,
}
