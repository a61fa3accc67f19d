using Parquet;
using Parquet.Schema;

namespace Partitioned.Parquet;

/// <summary>A column of a value type, nullable or not as the file declares it.</summary>
internal sealed class ValueColumnBuffer<T>(DataField field) : ColumnBuffer
    where T : struct
{
    private T[] _values = [];
    private T?[] _nullable = [];

    public override object? this[int row] => field.IsNullable ? _nullable[row] : _values[row];

    public override async ValueTask ReadAsync(ParquetRowGroupReader rowGroup, int rows, CancellationToken cancellationToken)
    {
        if (field.IsNullable)
        {
            _nullable = new T?[rows];
            await rowGroup.ReadAsync<T>(field, _nullable, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        else
        {
            _values = new T[rows];
            await rowGroup.ReadAsync<T>(field, _values, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
    }
}
