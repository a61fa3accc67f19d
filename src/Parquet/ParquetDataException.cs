using System.Text;

namespace Partitioned.Parquet;

/// <summary>
/// A Parquet file does not fit the row type, or cannot be read or written: a required column is missing, a column
/// holds another type, a value is null where the row type allows none, a column is nested, or the file is not
/// Parquet. The message names the file and, where they apply, the row group, the row and the column.
/// </summary>
public sealed class ParquetDataException : PartitionedException
{
    /// <summary>Creates the exception; the message starts with where the problem is.</summary>
    public ParquetDataException(string file, int? rowGroup, long? row, string? column, string problem, Exception? innerException = null)
        : base(Describe(file, rowGroup, row, column, problem), innerException)
    {
        File = file;
        RowGroup = rowGroup;
        Row = row;
        Column = column;
    }

    /// <summary>The file.</summary>
    public string File { get; }

    /// <summary>The row group (from 0), or null when the problem concerns the whole file (its schema).</summary>
    public int? RowGroup { get; }

    /// <summary>The row within the row group (from 0), or null when the problem is not about one row.</summary>
    public long? Row { get; }

    /// <summary>The column, or null when the problem is not about one column.</summary>
    public string? Column { get; }

    private static string Describe(string file, int? rowGroup, long? row, string? column, string problem)
    {
        var text = new StringBuilder(file);
        if (rowGroup is { } group)
        {
            text.Append(", row group ").Append(group);
        }

        if (row is { } index)
        {
            text.Append(", row ").Append(index);
        }

        if (column is not null)
        {
            text.Append(", column '").Append(column).Append('\'');
        }

        return text.Append(": ").Append(problem).ToString();
    }
}
