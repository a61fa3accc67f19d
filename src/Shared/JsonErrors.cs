using System.Text.Json;

namespace Partitioned.Shared;

/// <summary>
/// Words a JSON error for the client who sent the JSON: where (the path), what was expected, and, when the
/// body is at hand, what came instead. "Invalid request body at $.bar: expected Int32, got "abc" (a string)."
/// </summary>
internal static class JsonErrors
{
    private const string ConvertedTo = "could not be converted to ";

    public static string Describe(JsonException exception, ReadOnlySpan<byte> body = default)
    {
        var path = exception.Path is { Length: > 1 } p ? p : null;
        var message = Trim(exception.Message);

        // Type mismatch: name the expected type and show the value that came.
        var converted = message.IndexOf(ConvertedTo, StringComparison.Ordinal);
        if (converted >= 0 && path is not null)
        {
            var expected = ShortTypeName(message[(converted + ConvertedTo.Length)..].TrimEnd('.'));
            var came = body.IsEmpty ? null : FindValue(body, path);
            return came is null
                ? $"Invalid request body at {path}: expected {expected}."
                : $"Invalid request body at {path}: expected {expected}, got {came}.";
        }

        var where = path is null ? string.Empty : $" at {path}";
        var line = path is null && exception.LineNumber is { } number ? $" (line {number + 1}, byte {exception.BytePositionInLine + 1})" : string.Empty;
        return $"Invalid request body{where}{line}: {message}";
    }

    // The serializer appends "Path: ... | LineNumber: ... | BytePositionInLine: ..."; the caller adds its own location.
    private static string Trim(string message)
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

    /// <summary>The JSON value at a serializer path (<c>$.a.b[2]</c>, <c>$['odd key']</c>), shown with its kind, or null.</summary>
    private static string? FindValue(ReadOnlySpan<byte> body, string path)
    {
        try
        {
            var reader = new Utf8JsonReader(body, new JsonReaderOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip });
            using var document = JsonDocument.ParseValue(ref reader);
            var element = document.RootElement;
            var i = 1;
            while (i < path.Length)
            {
                if (path[i] == '.')
                {
                    var end = path.IndexOfAny(['.', '['], i + 1);
                    end = end < 0 ? path.Length : end;
                    if (!TryProperty(element, path[(i + 1)..end], out element))
                    {
                        return null;
                    }

                    i = end;
                }
                else if (path[i] == '[' && i + 1 < path.Length && path[i + 1] == '\'')
                {
                    var end = path.IndexOf("']", i, StringComparison.Ordinal);
                    if (end < 0 || !TryProperty(element, path[(i + 2)..end], out element))
                    {
                        return null;
                    }

                    i = end + 2;
                }
                else if (path[i] == '[')
                {
                    var end = path.IndexOf(']', i);
                    if (end < 0 || !int.TryParse(path.AsSpan(i + 1, end - i - 1), out var index)
                        || element.ValueKind != JsonValueKind.Array || index >= element.GetArrayLength())
                    {
                        return null;
                    }

                    element = element[index];
                    i = end + 1;
                }
                else
                {
                    return null;
                }
            }

            var raw = element.GetRawText();
            if (raw.Length > 60)
            {
                raw = raw[..57] + "...";
            }

            return $"{raw} ({Kind(element.ValueKind)})";
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static bool TryProperty(JsonElement element, string name, out JsonElement value)
    {
        value = default;
        if (element.ValueKind != JsonValueKind.Object)
        {
            return false;
        }

        foreach (var property in element.EnumerateObject())
        {
            if (string.Equals(property.Name, name, StringComparison.OrdinalIgnoreCase))
            {
                value = property.Value;
                return true;
            }
        }

        return false;
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
