using Parquet;
using Parquet.Schema;

namespace Partitioned.Parquet;

/// <summary>A binary column.</summary>
internal sealed class BinaryColumnWriter(RowMember member, DataField field) : ColumnWriter(member, field)
{
    public override Task WriteAsync(ParquetRowGroupWriter rowGroup, IReadOnlyList<object> rows, string file, int index, CancellationToken cancellationToken) =>
        rowGroup.WriteAsync(Field, Values<byte[]>(rows, file, index));
}
