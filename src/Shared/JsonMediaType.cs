using Microsoft.Net.Http.Headers;

namespace Partitioned.Shared;

/// <summary>
/// Which request bodies are taken as JSON: <c>application/json</c> or any <c>application/*+json</c>, in UTF-8 (no
/// charset, or <c>utf-8</c>), and a body with no Content-Type at all, which many command-line clients send. A body
/// declared as anything else (<c>text/plain</c>, form data) is refused with 415 rather than guessed at.
/// </summary>
internal static class JsonMediaType
{
    /// <summary>Null when a body with this Content-Type is read as JSON; otherwise the detail of the 415 to answer.</summary>
    public static string? Refusal(string? contentType)
    {
        if (string.IsNullOrEmpty(contentType) || contentType is "application/json" or "application/json; charset=utf-8")
        {
            return null;
        }

        if (!MediaTypeHeaderValue.TryParse(contentType, out var media))
        {
            return $"The Content-Type '{contentType}' cannot be parsed; send the body as JSON with Content-Type: application/json.";
        }

        var type = media.MediaType;
        var json = type.Equals("application/json", StringComparison.OrdinalIgnoreCase)
            || (type.StartsWith("application/", StringComparison.OrdinalIgnoreCase) && type.EndsWith("+json", StringComparison.OrdinalIgnoreCase));
        if (!json)
        {
            return $"The body was sent as {type}, but this route reads JSON: send it with Content-Type: application/json.";
        }

        var charset = media.Charset;
        return charset.HasValue && !charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase) && !charset.Equals("utf8", StringComparison.OrdinalIgnoreCase)
            ? $"The body was declared as {charset}, but JSON is read as UTF-8: send UTF-8 with Content-Type: application/json."
            : null;
    }
}
