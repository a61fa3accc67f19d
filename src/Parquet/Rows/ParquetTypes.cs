using System.Collections.Frozen;
using System.Globalization;

namespace Partitioned.Parquet;

/// <summary>
/// The member types a row can have (each also as <see cref="Nullable{T}"/>), how a column type converts to them,
/// and the names errors use. Conversions are the lossless widenings only, so a value never changes on the way.
/// </summary>
internal static class ParquetTypes
{
    /// <summary>Every supported type, and the column types that widen to it without loss.</summary>
    private static readonly FrozenDictionary<Type, Type[]> s_widenFrom = new Dictionary<Type, Type[]>
    {
        [typeof(bool)] = [],
        [typeof(sbyte)] = [],
        [typeof(byte)] = [],
        [typeof(short)] = [typeof(sbyte), typeof(byte)],
        [typeof(ushort)] = [typeof(byte)],
        [typeof(int)] = [typeof(sbyte), typeof(byte), typeof(short), typeof(ushort)],
        [typeof(uint)] = [typeof(byte), typeof(ushort)],
        [typeof(long)] = [typeof(sbyte), typeof(byte), typeof(short), typeof(ushort), typeof(int), typeof(uint)],
        [typeof(ulong)] = [typeof(byte), typeof(ushort), typeof(uint)],
        [typeof(float)] = [typeof(sbyte), typeof(byte), typeof(short), typeof(ushort)],
        [typeof(double)] = [typeof(sbyte), typeof(byte), typeof(short), typeof(ushort), typeof(int), typeof(uint), typeof(float)],
        [typeof(decimal)] = [typeof(sbyte), typeof(byte), typeof(short), typeof(ushort), typeof(int), typeof(uint), typeof(long), typeof(ulong)],
        [typeof(DateTime)] = [typeof(DateOnly)],
        [typeof(DateOnly)] = [],
        [typeof(Guid)] = [],
        [typeof(string)] = [],
        [typeof(byte[])] = [],
    }.ToFrozenDictionary();

    /// <summary>For error messages: what a row may hold.</summary>
    public static string Supported { get; } =
        "bool, sbyte, byte, short, ushort, int, uint, long, ulong, float, double, decimal, DateTime, DateOnly, Guid (each also nullable), string and byte[]";

    /// <summary>True when a member of <paramref name="type"/> maps to a flat column.</summary>
    public static bool IsSupported(Type type) => s_widenFrom.ContainsKey(Nullable.GetUnderlyingType(type) ?? type);

    /// <summary>The value type of a column as the reader hands it out (strings and binary come as memory, here as string and byte[]).</summary>
    public static Type ValueTypeOf(Type columnClrType) =>
        columnClrType == typeof(ReadOnlyMemory<char>) ? typeof(string)
        : columnClrType == typeof(ReadOnlyMemory<byte>) ? typeof(byte[])
        : columnClrType;

    /// <summary>
    /// How a column's values become a member's values: null when they cannot (another type, or a narrowing),
    /// otherwise a conversion (the identity when the types are the same).
    /// </summary>
    public static Func<object, object>? Converter(Type columnValueType, Type memberType)
    {
        var target = Nullable.GetUnderlyingType(memberType) ?? memberType;
        if (columnValueType == target)
        {
            return static value => value;
        }

        if (!s_widenFrom.TryGetValue(target, out var sources) || !sources.Contains(columnValueType))
        {
            return null;
        }

        return columnValueType == typeof(DateOnly)
            ? static value => ((DateOnly)value).ToDateTime(TimeOnly.MinValue)
            : value => Convert.ChangeType(value, target, CultureInfo.InvariantCulture);
    }

    /// <summary>A short C# name: int, string?, DateTime, byte[].</summary>
    public static string Name(Type type) => Nullable.GetUnderlyingType(type) is { } inner
        ? Name(inner) + "?"
        : type.IsEnum ? type.Name
        : Type.GetTypeCode(type) switch
        {
            TypeCode.Boolean => "bool",
            TypeCode.SByte => "sbyte",
            TypeCode.Byte => "byte",
            TypeCode.Int16 => "short",
            TypeCode.UInt16 => "ushort",
            TypeCode.Int32 => "int",
            TypeCode.UInt32 => "uint",
            TypeCode.Int64 => "long",
            TypeCode.UInt64 => "ulong",
            TypeCode.Single => "float",
            TypeCode.Double => "double",
            TypeCode.Decimal => "decimal",
            TypeCode.String => "string",
            _ => type == typeof(byte[]) ? "byte[]" : type.IsGenericType ? $"{type.Name.Split('`')[0]}<{string.Join(", ", type.GetGenericArguments().Select(Name))}>" : type.Name,
        };
}
