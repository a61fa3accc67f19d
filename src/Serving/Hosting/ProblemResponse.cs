using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Partitioned.Serving;

/// <summary>Writes problem-details (RFC 9457) error replies: status, title, a detail saying what was wrong, and the request id.</summary>
internal static class ProblemResponse
{
    public const string ContentType = "application/problem+json";

    public static Task WriteAsync(HttpResponse response, int status, string title, string detail, string? requestId = null, TimeSpan? retryAfter = null)
    {
        response.StatusCode = status;
        response.ContentType = ContentType;
        if (retryAfter is { } delay)
        {
            response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(delay.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        return response.Body.WriteAsync(ToJson(status, title, detail, requestId)).AsTask();
    }

    /// <summary>
    /// 404 for a <c>/serve/{name}</c> whose name breaks the name rule (<see cref="Shared.SafeName"/>): refused before
    /// anything is counted or forwarded, and without echoing the name whole.
    /// </summary>
    public static Task NotAServiceNameAsync(HttpResponse response, string name) =>
        WriteAsync(response, StatusCodes.Status404NotFound, "Unknown service",
            $"'{Shared.SafeName.Describe(name)}' is not a service name: service names are {Shared.SafeName.Rule}.");

    /// <summary>
    /// Counts a refusal of a request to <c>service</c> as its reply, then writes it. <c>latency</c> is the time since
    /// the request was accepted; null when it was refused before that (bad body, too large, no live partition).
    /// </summary>
    public static Task RefuseAsync(HttpResponse response, string service, int status, string title, string detail, TimeSpan? latency = null, string? requestId = null, TimeSpan? retryAfter = null)
    {
        ServingMetrics.CountReply(service, status, latency);
        return WriteAsync(response, status, title, detail, requestId, retryAfter);
    }

    /// <summary>Writes an answer that is already JSON: a handler's reply, or problem details for an error status.</summary>
    public static Task WriteJsonAsync(HttpResponse response, int status, ReadOnlyMemory<byte> json, CancellationToken cancellationToken = default)
    {
        response.StatusCode = status;
        response.ContentType = status >= 400 ? ContentType : "application/json; charset=utf-8";
        return response.Body.WriteAsync(json, cancellationToken).AsTask();
    }

    /// <remarks>Relaxed escaping: the detail is read by people (apostrophes and quotes stay as they are); the body is JSON, never HTML.</remarks>
    public static byte[] ToJson(int status, string title, string detail, string? requestId)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            writer.WriteStartObject();
            writer.WriteString("type", $"https://httpstatuses.io/{status}");
            writer.WriteString("title", title);
            writer.WriteNumber("status", status);
            writer.WriteString("detail", detail);
            if (requestId is not null)
            {
                writer.WriteString("requestId", requestId);
            }

            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }
}
