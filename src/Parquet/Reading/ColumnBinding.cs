using Parquet.Schema;

namespace Partitioned.Parquet;

/// <summary>A member of the row type bound to the file's column that fills it.</summary>
/// <param name="Member">The member.</param>
/// <param name="Field">The column.</param>
/// <param name="Convert">Turns a column value into the member's type (the identity, or a lossless widening).</param>
internal sealed record ColumnBinding(RowMember Member, DataField Field, Func<object, object> Convert);
