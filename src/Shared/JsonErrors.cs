using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Partitioned.Shared;

/// <summary>
/// Words a JSON error for the client who sent the JSON: where (the path), what was expected, and, when the
/// body is at hand, what came instead. "Invalid request body at $.bar: expected Int32, got "abc" (a string)."
/// </summary>
internal static class JsonErrors
{
    private const string ConvertedTo = "could not be converted to ";
    private const string MissingRequired = "missing required properties including:";

    /// <param name="exception">What the serializer threw.</param>
    /// <param name="body">The JSON that was read, to show the offending value.</param>
    /// <param name="target">The type being read, to name the type expected at the path.</param>
    public static string Describe(JsonException exception, ReadOnlySpan<byte> body = default, JsonTypeInfo? target = null)
    {
        var path = exception.Path is { Length: > 1 } p ? p : null;
        var message = Trim(exception.Message);

        // Type mismatch: name the expected type and show the value that came.
        var converted = message.IndexOf(ConvertedTo, StringComparison.Ordinal);
        if (converted >= 0 && path is not null)
        {
            var expected = (target is null ? null : ExpectedAt(target, path)) ?? ShortTypeName(message[(converted + ConvertedTo.Length)..].TrimEnd('.'));
            var came = body.IsEmpty ? null : FindValue(body, path);
            return came is null
                ? $"Invalid request body at {path}: expected {expected}."
                : $"Invalid request body at {path}: expected {expected}, got {came}.";
        }

        var missing = message.IndexOf(MissingRequired, StringComparison.Ordinal);
        if (missing >= 0)
        {
            return $"Invalid request body{(path is null ? string.Empty : $" at {path}")}: missing required properties {message[(missing + MissingRequired.Length)..].Trim().TrimEnd('.')}.";
        }

        var where = path is null ? string.Empty : $" at {path}";
        var line = path is null && exception.LineNumber is { } number ? $" (line {number + 1}, byte {exception.BytePositionInLine + 1})" : string.Empty;
        return $"Invalid request body{where}{line}: {message}";
    }

    /// <summary>The serializer's message without the "Path: ... | LineNumber: ..." it appends; callers add their own location.</summary>
    public static string Trim(string message)
    {
        var cut = message.IndexOf(" Path:", StringComparison.Ordinal);
        return cut > 0 ? message[..cut] : message;
    }

    private static string ShortTypeName(string fullName)
    {
        var name = fullName.Split('`')[0];
        var dot = name.LastIndexOf('.');
        var plus = name.LastIndexOf('+');
        return name[(Math.Max(dot, plus) + 1)..];
    }

    private static string FriendlyName(Type type) =>
        Nullable.GetUnderlyingType(type) is { } inner ? FriendlyName(inner) + "?"
        : type.IsArray ? FriendlyName(type.GetElementType()!) + "[]"
        : type.IsGenericType ? $"{ShortTypeName(type.Name)}<{string.Join(", ", type.GetGenericArguments().Select(FriendlyName))}>"
        : type.Name;

    /// <summary>The declared type at a path of the target type, following properties and collection elements.</summary>
    private static string? ExpectedAt(JsonTypeInfo target, string path)
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

        return FriendlyName(type.Type);
    }

    /// <summary>The JSON value at a serializer path, shown with its kind, or null.</summary>
    private static string? FindValue(ReadOnlySpan<byte> body, string path)
    {
        try
        {
            var reader = new Utf8JsonReader(body, new JsonReaderOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip });
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

            var raw = element.GetRawText();
            return $"{(raw.Length > 60 ? raw[..57] + "..." : raw)} ({Kind(element.ValueKind)})";
        }
        catch (JsonException)
        {
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
