using Parquet;
using Parquet.Schema;

namespace Partitioned.Parquet;

/// <summary>Writes one member of a row group's rows as one column.</summary>
internal abstract class ColumnWriter(RowMember member, DataField column)
{
    public RowMember Member => member;

    public DataField Field => column;

    /// <summary>A writer for the member's type; the column is nullable when the member accepts null.</summary>
    public static ColumnWriter For(RowMember member)
    {
        var valueType = Nullable.GetUnderlyingType(member.Type) ?? member.Type;
        var nullable = Nullable.GetUnderlyingType(member.Type) is not null || (!member.Type.IsValueType && member.AllowsNull);
        var field = new DataField(member.Name, valueType, isNullable: nullable);
        return valueType == typeof(string) ? new StringColumnWriter(member, field)
            : valueType == typeof(byte[]) ? new BinaryColumnWriter(member, field)
            : (ColumnWriter)Activator.CreateInstance(typeof(ValueColumnWriter<>).MakeGenericType(valueType), member, field)!;
    }

    /// <summary>Writes the member of every row as the row group's next column.</summary>
    /// <exception cref="ParquetDataException">A row holds null where the column does not accept it; the message says which row.</exception>
    public abstract Task WriteAsync(ParquetRowGroupWriter rowGroup, IReadOnlyList<object> rows, string file, int index, CancellationToken cancellationToken);

    protected object? Get(object row) => member.Get!(row);

    protected T[] Values<T>(IReadOnlyList<object> rows, string file, int index)
    {
        var values = new T[rows.Count];
        for (var i = 0; i < values.Length; i++)
        {
            var value = Get(rows[i]);
            if (value is null && !column.IsNullable)
            {
                throw new ParquetDataException(file, index, i, column.Name, $"member '{member.Name}' is null, but its type ({ParquetTypes.Name(member.Type)}) does not accept null, so its column is required.");
            }

            values[i] = (T)value!;
        }

        return values;
    }
}
