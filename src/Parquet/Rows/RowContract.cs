using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Partitioned.Protocol;
using Partitioned.Shared;

namespace Partitioned.Parquet;

/// <summary>
/// A row type seen through its JSON contract, the one rows already follow on their way to worker processes: the
/// same member names, the same required members, the same nullability. So a row reads from Parquet exactly as
/// strictly as from JSON lines.
/// </summary>
internal sealed class RowContract
{
    private readonly ConstructorInfo? _constructor;
    private readonly Func<object>? _createObject;

    private RowContract(Type type, IReadOnlyList<RowMember> members, ConstructorInfo? constructor, Func<object>? createObject, bool caseInsensitive)
    {
        Type = type;
        Members = members;
        _constructor = constructor;
        _createObject = createObject;
        CaseInsensitive = caseInsensitive;
        ParameterCount = constructor?.GetParameters().Length ?? 0;
    }

    public Type Type { get; }

    public string TypeName => Type.Name;

    public IReadOnlyList<RowMember> Members { get; }

    /// <summary>True when column names match member names ignoring case.</summary>
    public bool CaseInsensitive { get; }

    public int ParameterCount { get; }

    /// <exception cref="NotSupportedException">The type is not an object with members, or a member's type has no flat column.</exception>
    public static RowContract For<T>(JsonSerializerOptions? options, bool forWriting)
    {
        options ??= ProtocolJson.Options;
        if (!options.IsReadOnly)
        {
            options.MakeReadOnly(populateMissingResolver: true);
        }

        var info = options.GetTypeInfo(typeof(T));
        if (info.Kind != JsonTypeInfoKind.Object || info.Properties.Count == 0)
        {
            throw new NotSupportedException($"Rows of type {ParquetTypes.Name(typeof(T))} cannot map to Parquet columns: a row must be a class, record or struct whose members are the columns.");
        }

        var constructor = info.CreateObject is null ? info.ConstructorAttributeProvider as ConstructorInfo : null;
        if (!forWriting && info.CreateObject is null && constructor is null)
        {
            throw new NotSupportedException($"Rows of type {typeof(T).Name} cannot be created: it needs a public constructor, as for JSON.");
        }

        var members = info.Properties.Select(Member).ToList();
        var unsupported = members.Where(m => (forWriting ? m.Get is not null : m.IsReadable) && !ParquetTypes.IsSupported(m.Type)).ToList();
        if (unsupported.Count > 0)
        {
            throw new NotSupportedException(
                $"Rows of type {typeof(T).Name} cannot map to Parquet columns: {string.Join(", ", unsupported.Select(m => $"member '{m.Name}' is {ParquetTypes.Name(m.Type)}"))}. " +
                $"A row holds flat columns of {ParquetTypes.Supported}; nested types, lists, maps and enums are not read or written.");
        }

        return new RowContract(typeof(T), members, constructor, info.CreateObject, options.PropertyNameCaseInsensitive);
    }

    /// <summary>Creates a row from constructor arguments (in parameter order), then sets the other members that have values.</summary>
    public object Create(object?[] arguments, List<(RowMember Member, object? Value)> settings)
    {
        var row = _createObject is not null ? _createObject() : _constructor!.Invoke(arguments);
        foreach (var (member, value) in settings)
        {
            member.Set!(row, value);
        }

        return row;
    }

    private static RowMember Member(JsonPropertyInfo property)
    {
        var parameter = property.AssociatedParameter;
        var allowsNull = parameter?.IsNullable ?? property.IsSetNullable;
        return new RowMember(
            property.Name,
            property.PropertyType,
            property.IsRequired,
            allowsNull,
            parameter?.Position,
            parameter is { HasDefaultValue: true } ? parameter.DefaultValue : null,
            property.Get,
            parameter is null ? property.Set : null);
    }
}
