using Parquet;
using Parquet.Schema;

namespace Partitioned.Parquet;

/// <summary>One column of one row group, decoded: the unit Parquet is read in.</summary>
internal abstract class ColumnBuffer
{
    /// <summary>A buffer for the column's own type.</summary>
    public static ColumnBuffer For(DataField field) =>
        field.ClrType == typeof(ReadOnlyMemory<char>) ? new StringColumnBuffer(field)
        : field.ClrType == typeof(ReadOnlyMemory<byte>) ? new BinaryColumnBuffer(field)
        : (ColumnBuffer)Activator.CreateInstance(typeof(ValueColumnBuffer<>).MakeGenericType(field.ClrType), field)!;

    /// <summary>Reads the column's values of <paramref name="rowGroup"/>.</summary>
    public abstract ValueTask ReadAsync(ParquetRowGroupReader rowGroup, int rows, CancellationToken cancellationToken);

    /// <summary>The value at a row, boxed, or null.</summary>
    public abstract object? this[int row] { get; }
}
