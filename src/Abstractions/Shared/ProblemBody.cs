using System.Buffers;
using System.Collections.Frozen;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Partitioned.Shared;

/// <summary>
/// The one problem-details body (RFC 9457) of every error the library answers, on every surface (coordinator, worker
/// routes, partitions' control routes, gateway, head node, services, dashboard): <c>type</c>, <c>title</c>,
/// <c>status</c>, <c>detail</c>, then <c>requestId</c> once a request was accepted and <c>traceId</c> where the
/// error was written for an HTTP request in hand. Written to a response by <c>ProblemResponse</c>
/// (src/Shared); kept here, free of ASP.NET Core, so that its rule exists once.
/// </summary>
/// <remarks>
/// The <c>type</c> rule: the section of the RFC that defines the status (RFC 9110 for nearly all of them, for example
/// <c>https://tools.ietf.org/html/rfc9110#section-15.5.5</c> for 404), the same links ASP.NET Core's own problem
/// details use, so that a partition's <c>/app</c> routes (whose errors ASP.NET Core writes) read the same as the
/// library's; a status no RFC section is listed for has no <c>type</c> (which RFC 9457 reads as <c>about:blank</c>).
/// </remarks>
internal static class ProblemBody
{
    /// <summary>The media type of every problem-details body.</summary>
    public const string ContentType = "application/problem+json";

    private const string Rfc9110 = "https://tools.ietf.org/html/rfc9110#section-";

    // As ASP.NET Core's ProblemDetailsDefaults name them (a test compares the two).
    private static readonly FrozenDictionary<int, string> s_types = new Dictionary<int, string>
    {
        [400] = Rfc9110 + "15.5.1",
        [401] = Rfc9110 + "15.5.2",
        [403] = Rfc9110 + "15.5.4",
        [404] = Rfc9110 + "15.5.5",
        [405] = Rfc9110 + "15.5.6",
        [406] = Rfc9110 + "15.5.7",
        [407] = Rfc9110 + "15.5.8",
        [408] = Rfc9110 + "15.5.9",
        [409] = Rfc9110 + "15.5.10",
        [410] = Rfc9110 + "15.5.11",
        [411] = Rfc9110 + "15.5.12",
        [412] = Rfc9110 + "15.5.13",
        [413] = Rfc9110 + "15.5.14",
        [414] = Rfc9110 + "15.5.15",
        [415] = Rfc9110 + "15.5.16",
        [416] = Rfc9110 + "15.5.17",
        [417] = Rfc9110 + "15.5.18",
        [421] = Rfc9110 + "15.5.20",
        [422] = "https://tools.ietf.org/html/rfc4918#section-11.2",
        [426] = Rfc9110 + "15.5.22",
        [500] = Rfc9110 + "15.6.1",
        [501] = Rfc9110 + "15.6.2",
        [502] = Rfc9110 + "15.6.3",
        [503] = Rfc9110 + "15.6.4",
        [504] = Rfc9110 + "15.6.5",
        [505] = Rfc9110 + "15.6.6",
    }.ToFrozenDictionary();

    /// <summary>The statuses that have a <c>type</c>.</summary>
    public static IEnumerable<int> TypedStatuses => s_types.Keys;

    /// <summary>The <c>type</c> of a problem with <paramref name="status"/>, or null for a status that has none.</summary>
    public static string? TypeOf(int status) => s_types.GetValueOrDefault(status);

    /// <remarks>Relaxed escaping: the detail is read by people (apostrophes and quotes stay as they are); the body is JSON, never HTML.</remarks>
    public static byte[] ToJson(int status, string title, string detail, string? requestId = null, string? traceId = null)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            writer.WriteStartObject();
            if (TypeOf(status) is { } type)
            {
                writer.WriteString("type", type);
            }

            writer.WriteString("title", title);
            writer.WriteNumber("status", status);
            writer.WriteString("detail", detail);
            if (requestId is not null)
            {
                writer.WriteString("requestId", requestId);
            }

            if (traceId is not null)
            {
                writer.WriteString("traceId", traceId);
            }

            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }
}
