using Parquet;
using Parquet.Schema;

namespace Partitioned.Parquet;

/// <summary>A binary column, read raw into a buffer of our own for the same reason as strings (see <see cref="StringColumnBuffer"/>).</summary>
internal sealed class BinaryColumnBuffer(DataField field) : ColumnBuffer
{
    private byte[]?[] _values = [];

    public override object? this[int row] => _values[row];

    public override async ValueTask ReadAsync(ParquetRowGroupReader rowGroup, int rows, CancellationToken cancellationToken)
    {
        var raw = new ReadOnlyMemory<byte>[rows];
        var definitions = new int[rows];
        await rowGroup.ReadRawAsync<ReadOnlyMemory<byte>>(field, raw, definitions, null, cancellationToken).ConfigureAwait(false);
        _values = RawValues.Unpack(raw, definitions, field.MaxDefinitionLevel, static value => value.ToArray());
    }
}
