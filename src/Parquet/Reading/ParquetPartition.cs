namespace Partitioned.Parquet;

/// <summary>What one partition reads: a file, and either all its row groups or one.</summary>
/// <param name="File">The file's full path.</param>
/// <param name="RowGroup">The one row group, or null for all of them in order.</param>
/// <param name="RowGroupCount">How many row groups the file had when the dataset was made.</param>
internal sealed record ParquetPartition(string File, int? RowGroup, int RowGroupCount)
{
    public override string ToString() => RowGroup is { } group
        ? $"Parquet file {File}, row group {group}"
        : $"Parquet file {File} ({RowGroupCount} row groups)";
}
