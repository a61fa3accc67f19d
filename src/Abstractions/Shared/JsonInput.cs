using System.Diagnostics.CodeAnalysis;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using System.Text.Unicode;

namespace Partitioned.Shared;

/// <summary>
/// The one place where bytes someone sent become a typed value. Every way those bytes can be wrong (empty, not
/// UTF-8, not JSON, too deep, wrong types, numbers in strings, missing, unknown or repeated properties, lone
/// surrogates, <c>null</c>) comes back as a <see cref="JsonInputError"/>, never as an exception; only a bug in a
/// custom converter still throws, and the caller's handling of bugs applies to it.
/// </summary>
internal static class JsonInput
{
    /// <summary>Reads one JSON value of <typeparamref name="T"/> from the whole of <paramref name="json"/>.</summary>
    public static bool TryRead<T>(ReadOnlySpan<byte> json, JsonTypeInfo<T> type, [MaybeNullWhen(false)] out T value, out JsonInputError error)
    {
        value = default;
        var name = JsonErrors.FriendlyName(typeof(T));
        if (IsBlank(json))
        {
            error = new(null, $"it is empty; {A(name)} JSON {name} was expected");
            return false;
        }

        if (!IsUtf8(json, out error))
        {
            return false;
        }

        try
        {
            value = JsonSerializer.Deserialize(json, type);
        }
        catch (JsonException ex)
        {
            error = JsonErrors.Explain(ex, json, type);
            return false;
        }
        catch (Exception ex) when (IsInputFailure(ex))
        {
            error = new(null, $"it cannot be read as {name}: {JsonErrors.Trim(ex.Message)}");
            return false;
        }

        if (value is null)
        {
            error = new(null, $"it is the JSON literal null; {A(name)} {name} was expected");
            return false;
        }

        error = default;
        return true;
    }

    /// <summary>
    /// Reads one of the serving wire's shapes with its hand-written <paramref name="parse"/>. No UTF-8 check of the
    /// whole: such envelopes carry raw request bodies, which are checked where they are bound, one by one.
    /// </summary>
    public static bool TryParse<T>(ReadOnlyMemory<byte> json, Utf8JsonParser<T> parse, [MaybeNullWhen(false)] out T value, out JsonInputError error)
    {
        value = default;
        if (IsBlank(json.Span))
        {
            error = new(null, "it is empty; a JSON object was expected");
            return false;
        }

        try
        {
            value = parse(json);
            error = default;
            return true;
        }
        catch (JsonException ex)
        {
            error = JsonErrors.Explain(ex);
            return false;
        }
        catch (Exception ex) when (IsInputFailure(ex))
        {
            error = new(null, JsonErrors.Trim(ex.Message));
            return false;
        }
    }

    /// <summary>Checks that <paramref name="json"/> is one well-formed JSON value (at most 64 levels deep), without binding it to a type.</summary>
    public static bool IsWellFormed(ReadOnlySpan<byte> json, out JsonInputError error)
    {
        if (IsBlank(json))
        {
            error = new(null, "it is empty; a JSON value was expected");
            return false;
        }

        try
        {
            // Reading past the value throws for anything but whitespace after it: one value per body.
            var reader = new Utf8JsonReader(json);
            reader.Read();
            reader.Skip();
            reader.Read();
            error = default;
            return true;
        }
        catch (JsonException ex)
        {
            // The reader trips over bytes that are not UTF-8 where JSON syntax is expected; say so rather than "invalid start of a value".
            error = IsUtf8(json, out var encoding) ? JsonErrors.Explain(ex) : encoding;
            return false;
        }
    }

    /// <summary>
    /// True for the exceptions that input can cause while it is read: the serializer's and reader's own, and the
    /// ones it lets through for invalid text or unsupported shapes. Anything else is a bug.
    /// </summary>
    public static bool IsInputFailure(Exception exception) =>
        exception is JsonException or InvalidOperationException or NotSupportedException or FormatException
            or OverflowException or DecoderFallbackException or InsufficientExecutionStackException;

    private static string A(string noun) => noun.Length > 0 && "AEIOUaeiou".Contains(noun[0], StringComparison.Ordinal) ? "an" : "a";

    private static bool IsBlank(ReadOnlySpan<byte> json) => json.Trim(" \t\r\n"u8).IsEmpty;

    private static bool IsUtf8(ReadOnlySpan<byte> json, out JsonInputError error)
    {
        if (Utf8.IsValid(json))
        {
            error = default;
            return true;
        }

        // Rare (the input is wrong): find the first offending byte, so the client can find it too.
        var offset = 0;
        while (offset < json.Length && System.Text.Rune.DecodeFromUtf8(json[offset..], out _, out var consumed) == System.Buffers.OperationStatus.Done)
        {
            offset += consumed;
        }

        error = new(null, $"it is not valid UTF-8 (byte 0x{json[Math.Min(offset, json.Length - 1)]:X2} at offset {offset}); JSON must be sent as UTF-8");
        return false;
    }
}
