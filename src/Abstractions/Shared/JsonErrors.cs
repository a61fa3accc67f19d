using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Partitioned.Shared;

/// <summary>
/// Words a JSON error for the client who sent the JSON: where (the path), what was expected, and, when the input
/// is at hand, what came instead (<c>at $.bar: expected Int32, got "abc" (a string)</c>). Never throws: it runs
/// on input that is already known to be wrong.
/// </summary>
internal static class JsonErrors
{
    private const string ConvertedTo = "could not be converted to ";
    private const string MissingRequired = "missing required properties including:";
    private const string NotMapped = "could not be mapped to any .NET member";
    private const string DepthExceeded = "maximum configured depth";
    private const string NotNull = "doesn't allow ";
    private const string Duplicate = "Duplicate property ";
    private const int MaxDepth = 64;

    /// <param name="exception">What the serializer or reader threw.</param>
    /// <param name="input">The JSON that was read, to show the offending value.</param>
    /// <param name="target">The type being read, to name the type expected at the path.</param>
    public static JsonInputError Explain(JsonException exception, ReadOnlySpan<byte> input = default, JsonTypeInfo? target = null)
    {
        var path = exception.Path is { Length: > 0 } p ? p : null;
        var where = path is { Length: > 1 } ? path : null;
        var message = Trim(exception.Message);

        // The serializer wraps what the reader could not turn into a .NET value: say which it was.
        if (exception.InnerException is InvalidOperationException inner)
        {
            if (inner.Message.Contains("UTF-16", StringComparison.Ordinal) || inner.Message.Contains("surrogate", StringComparison.OrdinalIgnoreCase))
            {
                return new(where, @"the string is not valid Unicode text: it holds an unpaired surrogate escape (such as \ud800)");
            }

            if (inner.Message.Contains("UTF-8", StringComparison.Ordinal))
            {
                return new(where, "the string is not valid UTF-8; JSON must be sent as UTF-8");
            }
        }

        if (message.Contains(DepthExceeded, StringComparison.Ordinal))
        {
            var depth = ConfiguredDepth(message) ?? (target?.Options.MaxDepth is > 0 and var max ? max : MaxDepth);
            return new(where, $"the JSON is nested more than {depth} levels deep, the maximum depth");
        }

        // Type mismatch: name the expected type and show the value that came.
        var converted = message.IndexOf(ConvertedTo, StringComparison.Ordinal);
        if (converted >= 0 && path is not null)
        {
            var expected = (target is null ? null : TypeAt(target, path) is { } found ? FriendlyName(found.Type) : null)
                ?? ShortTypeName(message[(converted + ConvertedTo.Length)..].TrimEnd('.'));
            var came = input.IsEmpty ? null : FindValue(input, path);
            return new(where, came is null ? $"expected {expected}" : $"expected {expected}, got {came}");
        }

        var missing = message.IndexOf(MissingRequired, StringComparison.Ordinal);
        if (missing >= 0)
        {
            return new(where, $"missing required properties {message[(missing + MissingRequired.Length)..].Trim().TrimEnd('.')}");
        }

        if (message.Contains(NotNull, StringComparison.Ordinal) && message.Contains("null values", StringComparison.Ordinal))
        {
            var expected = target is not null && path is not null && TypeAt(target, path) is { } type ? FriendlyName(type.Type) : null;
            return new(where, expected is null ? "null is not allowed here" : $"null is not allowed here; expected {expected}");
        }

        if (message.StartsWith(Duplicate, StringComparison.Ordinal) && message.IndexOf('\'', Duplicate.Length + 1) is var close and > 0)
        {
            return new(where, $"the property {message[Duplicate.Length..(close + 1)]} is given twice; each property may appear once");
        }

        if (message.Contains(NotMapped, StringComparison.Ordinal) && path is not null && target is not null)
        {
            return new(where, DescribeUnknown(target, path) ?? message);
        }

        var line = where is null && exception.LineNumber is { } number ? $" (line {number + 1}, byte {exception.BytePositionInLine + 1})" : string.Empty;
        return new(where, line.Length == 0 ? message : $"{message.TrimEnd('.')}{line}");
    }

    /// <summary>The serializer's message without the "Path: ... | LineNumber: ..." it appends; callers add their own location.</summary>
    public static string Trim(string message)
    {
        var cut = message.IndexOf(" Path:", StringComparison.Ordinal);
        if (cut < 0)
        {
            cut = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
        }

        return cut > 0 ? message[..cut].TrimEnd() : message;
    }

    /// <summary>A .NET type as people read it: <c>Int32</c>, <c>String[]</c>, <c>List&lt;Int32&gt;</c>, <c>Int32?</c>.</summary>
    public static string FriendlyName(Type type) =>
        Nullable.GetUnderlyingType(type) is { } inner ? FriendlyName(inner) + "?"
        : type.IsArray ? FriendlyName(type.GetElementType()!) + "[]"
        : type.IsGenericType ? $"{ShortTypeName(type.Name)}<{string.Join(", ", type.GetGenericArguments().Select(FriendlyName))}>"
        : type.Name;

    /// <summary>A JSON value as a client would recognise it: the value (cut at 60 characters) and its kind.</summary>
    public static string Show(JsonElement element)
    {
        var raw = element.GetRawText();
        return $"{(raw.Length > 60 ? raw[..57] + "..." : raw)} ({Kind(element.ValueKind)})";
    }

    private static string ShortTypeName(string fullName)
    {
        var name = fullName.Split('`')[0];
        var dot = name.LastIndexOf('.');
        var plus = name.LastIndexOf('+');
        return name[(Math.Max(dot, plus) + 1)..];
    }

    private static string? DescribeUnknown(JsonTypeInfo target, string path)
    {
        var segments = Segments(path).ToList();
        if (segments.Count == 0 || segments[^1].Name is not { } name)
        {
            return null;
        }

        var owner = TypeAt(target, Rebuild(segments.Take(segments.Count - 1)));
        if (owner is null || owner.Kind != JsonTypeInfoKind.Object)
        {
            return null;
        }

        var known = string.Join(", ", owner.Properties.Where(static p => p.Set is not null || p.AssociatedParameter is not null).Select(static p => p.Name));
        return $"unknown property '{name}'; {FriendlyName(owner.Type)} has {(known.Length == 0 ? "no properties" : known)}";
    }

    private static string Rebuild(IEnumerable<(string? Name, int? Index)> segments) =>
        "$" + string.Concat(segments.Select(static s => s.Name is { } n ? $"['{n}']" : $"[{s.Index}]"));

    /// <summary>The declared type at a path of the target type, following properties and collection elements.</summary>
    private static JsonTypeInfo? TypeAt(JsonTypeInfo target, string path)
    {
        var type = target;
        foreach (var (name, index) in Segments(path))
        {
            if (name is not null)
            {
                var property = type.Properties.FirstOrDefault(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase));
                if (property is null)
                {
                    return null;
                }

                type = type.Options.GetTypeInfo(property.PropertyType);
            }
            else if (index is not null && type.ElementType is { } element)
            {
                type = type.Options.GetTypeInfo(element);
            }
            else
            {
                return null;
            }
        }

        return type;
    }

    /// <summary>The JSON value at a serializer path, shown with its kind, or null.</summary>
    private static string? FindValue(ReadOnlySpan<byte> input, string path)
    {
        try
        {
            // A reader, not a JsonDocument: building a document of a value nested thousands of levels deep takes time
            // that grows faster than the input (10,000 levels cost 100-250 ms), and this runs for every bad request.
            // Any depth: the value that came may be nested past the limit (the serializer stopped at its first token).
            var reader = new Utf8JsonReader(input, new JsonReaderOptions { MaxDepth = int.MaxValue });
            if (!reader.Read())
            {
                return null;
            }

            foreach (var (name, index) in Segments(path))
            {
                var found = name is not null ? MoveToProperty(ref reader, name) : index is { } i && MoveToItem(ref reader, i);
                if (!found)
                {
                    return null;
                }
            }

            var kind = reader.TokenType;
            var start = checked((int)reader.TokenStartIndex);
            var depth = 0;
            if (kind is JsonTokenType.StartArray or JsonTokenType.StartObject)
            {
                var outer = reader.CurrentDepth;
                depth = 1;
                while (reader.Read() && !(reader.TokenType is JsonTokenType.EndArray or JsonTokenType.EndObject && reader.CurrentDepth == outer))
                {
                    depth = Math.Max(depth, reader.CurrentDepth - outer + 1);
                }
            }

            var shown = ShowRaw(input[start..checked((int)reader.BytesConsumed)], Kind(kind));
            return depth > MaxDepth ? $"{shown}, nested {depth} levels deep (more than {MaxDepth}, the maximum depth)" : shown;
        }
        catch (Exception ex) when (JsonInput.IsInputFailure(ex))
        {
            // The value cannot be shown (the input is broken around it); the error says what was expected without it.
            return null;
        }
    }

    /// <summary>From an object's start to the value of its first property called <paramref name="name"/> (any case).</summary>
    private static bool MoveToProperty(ref Utf8JsonReader reader, string name)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            return false;
        }

        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var match = string.Equals(reader.GetString(), name, StringComparison.OrdinalIgnoreCase);
            reader.Read();
            if (match)
            {
                return true;
            }

            reader.Skip();
        }

        return false;
    }

    /// <summary>From an array's start to its item at <paramref name="index"/>.</summary>
    private static bool MoveToItem(ref Utf8JsonReader reader, int index)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            return false;
        }

        for (var i = 0; reader.Read() && reader.TokenType is not JsonTokenType.EndArray; i++)
        {
            if (i == index)
            {
                return true;
            }

            reader.Skip();
        }

        return false;
    }

    /// <summary>Raw JSON as <see cref="Show(JsonElement)"/> shows it, decoding no more than it shows.</summary>
    private static string ShowRaw(ReadOnlySpan<byte> raw, string kind)
    {
        // 61 characters take at most 244 bytes: past that, the value is cut whatever its text.
        var text = System.Text.Encoding.UTF8.GetString(raw.Length > 244 ? raw[..244] : raw);
        return $"{(text.Length > 60 ? text[..57] + "..." : text)} ({kind})";
    }

    /// <summary>Splits <c>$.a.b[2]['odd key']</c> into property names and array indexes; stops at anything else.</summary>
    private static IEnumerable<(string? Name, int? Index)> Segments(string path)
    {
        var i = 1;
        while (i < path.Length)
        {
            if (path[i] == '.')
            {
                var end = path.IndexOfAny(['.', '['], i + 1);
                end = end < 0 ? path.Length : end;
                yield return (path[(i + 1)..end], null);
                i = end;
            }
            else if (path[i] == '[' && i + 1 < path.Length && path[i + 1] == '\'')
            {
                var end = path.IndexOf("']", i, StringComparison.Ordinal);
                if (end < 0)
                {
                    yield break;
                }

                yield return (path[(i + 2)..end], null);
                i = end + 2;
            }
            else if (path[i] == '[' && path.IndexOf(']', i) is var close and > 0 && int.TryParse(path.AsSpan(i + 1, close - i - 1), out var index))
            {
                yield return (null, index);
                i = close + 1;
            }
            else
            {
                yield break;
            }
        }
    }

    /// <summary>The limit named in "The maximum configured depth of 80 has been exceeded".</summary>
    private static int? ConfiguredDepth(string message)
    {
        var at = message.IndexOf(DepthExceeded + " of ", StringComparison.Ordinal);
        if (at < 0)
        {
            return null;
        }

        var digits = message.AsSpan(at + DepthExceeded.Length + 4);
        var length = 0;
        while (length < digits.Length && char.IsAsciiDigit(digits[length]))
        {
            length++;
        }

        return int.TryParse(digits[..length], System.Globalization.CultureInfo.InvariantCulture, out var depth) ? depth : null;
    }

    private static string Kind(JsonTokenType token) => Kind(token switch
    {
        JsonTokenType.String => JsonValueKind.String,
        JsonTokenType.Number => JsonValueKind.Number,
        JsonTokenType.True => JsonValueKind.True,
        JsonTokenType.False => JsonValueKind.False,
        JsonTokenType.Null => JsonValueKind.Null,
        JsonTokenType.StartArray => JsonValueKind.Array,
        JsonTokenType.StartObject => JsonValueKind.Object,
        _ => JsonValueKind.Undefined,
    });

    private static string Kind(JsonValueKind kind) => kind switch
    {
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Null => "null",
        JsonValueKind.Array => "an array",
        JsonValueKind.Object => "an object",
        _ => "a value",
    };
}
