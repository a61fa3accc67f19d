using System.Runtime.InteropServices;
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
            // Any depth: the value that came may be nested past the limit (the serializer stopped at its first token).
            var reader = new Utf8JsonReader(input, new JsonReaderOptions { MaxDepth = int.MaxValue });
            using var document = JsonDocument.ParseValue(ref reader);
            var element = document.RootElement;
            foreach (var (name, index) in Segments(path))
            {
                if (name is not null && element.ValueKind == JsonValueKind.Object)
                {
                    var match = element.EnumerateObject().FirstOrDefault(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase));
                    if (match.Value.ValueKind == JsonValueKind.Undefined)
                    {
                        return null;
                    }

                    element = match.Value;
                }
                else if (index is { } i && element.ValueKind == JsonValueKind.Array && i < element.GetArrayLength())
                {
                    element = element[i];
                }
                else
                {
                    return null;
                }
            }

            var depth = Depth(element);
            return depth > MaxDepth ? $"{Show(element)}, nested {depth} levels deep (more than {MaxDepth}, the maximum depth)" : Show(element);
        }
        catch (Exception ex) when (JsonInput.IsInputFailure(ex))
        {
            // The value cannot be shown (the input is broken around it); the error says what was expected without it.
            return null;
        }
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

    private static int Depth(JsonElement element)
    {
        if (element.ValueKind is not (JsonValueKind.Array or JsonValueKind.Object))
        {
            return 0;
        }

        var reader = new Utf8JsonReader(JsonMarshal.GetRawUtf8Value(element), new JsonReaderOptions { MaxDepth = int.MaxValue });
        var deepest = 0;
        while (reader.Read())
        {
            deepest = Math.Max(deepest, reader.CurrentDepth + 1);
        }

        return deepest;
    }

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
