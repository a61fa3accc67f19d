using Parquet;
using Parquet.Schema;

namespace Partitioned.Parquet;

/// <summary>A column of a value type.</summary>
internal sealed class ValueColumnWriter<T>(RowMember member, DataField field) : ColumnWriter(member, field)
    where T : struct
{
    public override Task WriteAsync(ParquetRowGroupWriter rowGroup, IReadOnlyList<object> rows, string file, int index, CancellationToken cancellationToken) => Field.IsNullable
        ? rowGroup.WriteAsync<T>(Field, Values<T?>(rows, file, index), cancellationToken: cancellationToken)
        : rowGroup.WriteAsync<T>(Field, Values<T>(rows, file, index), cancellationToken: cancellationToken);
}
