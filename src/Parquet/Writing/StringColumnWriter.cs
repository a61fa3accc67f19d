using Parquet;
using Parquet.Schema;

namespace Partitioned.Parquet;

/// <summary>A UTF-8 string column.</summary>
internal sealed class StringColumnWriter(RowMember member, DataField field) : ColumnWriter(member, field)
{
    public override Task WriteAsync(ParquetRowGroupWriter rowGroup, IReadOnlyList<object> rows, string file, int index, CancellationToken cancellationToken) =>
        rowGroup.WriteAsync(Field, Values<string>(rows, file, index));
}
