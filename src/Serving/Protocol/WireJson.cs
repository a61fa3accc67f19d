using System.Runtime.InteropServices;
using System.Text.Json;
using Partitioned.Shared;

namespace Partitioned.Serving;

/// <summary>
/// Strict access to the fields of the serving wire's envelopes. A field that is missing or of the wrong kind is a
/// <see cref="JsonException"/> naming its path, what it must be and what came; never a null, a guess, or the
/// <see cref="InvalidOperationException"/> <see cref="JsonElement.GetString"/> throws for a number.
/// </summary>
internal static class WireJson
{
    // Envelopes carry bodies as they came (a client's request, a handler's reply), checked where they are bound or
    // produced: up to 64 levels deep themselves, and with whatever properties they hold. An envelope must never fail
    // because of what it carries, or one body would cost its whole batch; hence the extra depth and no duplicate check.
    private static readonly JsonDocumentOptions s_options = new() { MaxDepth = 64 + 16 };

    /// <summary>Parses one JSON object (nothing may follow it).</summary>
    public static JsonDocument ParseObject(ReadOnlyMemory<byte> json)
    {
        var document = JsonDocument.Parse(json, s_options);
        if (document.RootElement.ValueKind != JsonValueKind.Object)
        {
            var root = JsonErrors.Show(document.RootElement);
            document.Dispose();
            throw new JsonException($"expected a JSON object, got {root}");
        }

        return document;
    }

    // A field's path is built only for its error: "array" and "index" say which item holds it (none: the root object).

    public static JsonElement Required(JsonElement owner, string name, string? array = null, int index = -1) =>
        owner.TryGetProperty(name, out var value)
            ? value
            : throw new JsonException($"{Path(array, index, name)} is missing");

    public static string String(JsonElement owner, string name, string? array = null, int index = -1)
    {
        var value = Required(owner, name, array, index);
        if (value.ValueKind != JsonValueKind.String)
        {
            throw new JsonException($"{Path(array, index, name)} must be a string, got {JsonErrors.Show(value)}");
        }

        try
        {
            return value.GetString()!;
        }
        catch (InvalidOperationException)
        {
            throw new JsonException($"{Path(array, index, name)} is not valid text (invalid UTF-8, or an unpaired surrogate escape such as \\ud800)");
        }
    }

    public static int Int(JsonElement owner, string name, string? array = null, int index = -1)
    {
        var value = Required(owner, name, array, index);
        return value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var number)
            ? number
            : throw new JsonException($"{Path(array, index, name)} must be a whole number, got {JsonErrors.Show(value)}");
    }

    public static JsonElement Array(JsonElement owner, string name)
    {
        var value = Required(owner, name);
        return value.ValueKind == JsonValueKind.Array
            ? value
            : throw new JsonException($"$.{name} must be an array, got {JsonErrors.Show(value)}");
    }

    /// <summary>Item <paramref name="index"/> of array <paramref name="array"/>, which must be an object.</summary>
    public static JsonElement Item(JsonElement item, string array, int index) =>
        item.ValueKind == JsonValueKind.Object
            ? item
            : throw new JsonException($"{Path(array, index, null)} must be an object, got {JsonErrors.Show(item)}");

    /// <summary>A value embedded as it is (a request or reply body), copied out of the document.</summary>
    public static byte[] Raw(JsonElement owner, string name, string? array = null, int index = -1) =>
        JsonMarshal.GetRawUtf8Value(Required(owner, name, array, index)).ToArray();

    public static string Path(string? array, int index, string? name)
    {
        var item = array is null ? "$" : $"$.{array}[{index}]";
        return name is null ? item : $"{item}.{name}";
    }
}
