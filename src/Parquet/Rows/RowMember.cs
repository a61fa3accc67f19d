namespace Partitioned.Parquet;

/// <summary>One member of a row type as its JSON contract defines it: the column name, the type and the rules.</summary>
/// <param name="Name">The JSON name, which is the column name.</param>
/// <param name="Type">The declared type.</param>
/// <param name="IsRequired">Reading: a file without the column is refused (a constructor parameter without a default, a <c>required</c> member).</param>
/// <param name="AllowsNull">Reading: a null value is accepted (a nullable value type, or a reference type annotated nullable).</param>
/// <param name="Parameter">The constructor parameter it is passed as, or null when it is set after construction.</param>
/// <param name="DefaultValue">The parameter's default, passed when the file has no such column.</param>
/// <param name="Get">Reads it from a row (writing), or null.</param>
/// <param name="Set">Sets it on a row (reading), or null.</param>
internal sealed record RowMember(
    string Name,
    Type Type,
    bool IsRequired,
    bool AllowsNull,
    int? Parameter,
    object? DefaultValue,
    Func<object, object?>? Get,
    Action<object, object?>? Set)
{
    /// <summary>True when reading can give it a value.</summary>
    public bool IsReadable => Parameter is not null || Set is not null;

    /// <summary>True for value types that are not <see cref="Nullable{T}"/>: the only ones a missing value cannot stay null in.</summary>
    public bool IsNonNullableValueType => Type.IsValueType && Nullable.GetUnderlyingType(Type) is null;
}
