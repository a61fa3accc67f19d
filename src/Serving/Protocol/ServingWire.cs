using System.Buffers;
using System.Net.Http.Headers;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace Partitioned.Serving;

/// <summary>
/// The JSON shapes serving nodes exchange (documented in the README). Bodies are embedded as raw JSON values,
/// never re-encoded as strings, so a reply is serialised once on the partition that produced it.
/// </summary>
internal static class ServingWire
{
    /// <summary>The content type of every body serving nodes send each other (shared: never changed after creation).</summary>
    public static readonly MediaTypeHeaderValue JsonContentType = new("application/json");

    /// <summary><c>{"requests":[{"id":"h-1","body":{...}}]}</c>: a batch handed to a pulling partition.</summary>
    public static void WriteRequests(IBufferWriter<byte> output, IReadOnlyList<WireRequest> requests)
    {
        using var writer = new Utf8JsonWriter(output);
        writer.WriteStartObject();
        writer.WriteStartArray("requests");
        foreach (var request in requests)
        {
            writer.WriteStartObject();
            writer.WriteString("id", request.Id);
            writer.WritePropertyName("body");
            writer.WriteRawValue(request.Body.Span, skipInputValidation: true);
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    public static List<WireRequest> ReadRequests(ReadOnlySpan<byte> json)
    {
        var requests = new List<WireRequest>();
        var reader = new Utf8JsonReader(json);
        using var document = JsonDocument.ParseValue(ref reader);
        foreach (var item in Property(document.RootElement, "requests").EnumerateArray())
        {
            requests.Add(new WireRequest(Property(item, "id").GetString()!, JsonMarshal.GetRawUtf8Value(Property(item, "body")).ToArray()));
        }

        return requests;
    }

    /// <summary><c>{"replies":[{"id":"h-1","status":200,"body":{...}}]}</c>: answers sent back to where requests came from.</summary>
    public static void WriteReplies(IBufferWriter<byte> output, IReadOnlyList<WireReply> replies)
    {
        using var writer = new Utf8JsonWriter(output);
        writer.WriteStartObject();
        WriteReplyArray(writer, replies);
        writer.WriteEndObject();
    }

    public static List<WireReply> ReadReplies(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json);
        using var document = JsonDocument.ParseValue(ref reader);
        return ReadReplyArray(Property(document.RootElement, "replies"));
    }

    /// <summary>
    /// <c>{"partition":0,"attempt":0,"max":16,"replies":[...]}</c>: a head-node pull, carrying the answers of the
    /// previous batch (<c>replies</c> may be absent or empty).
    /// </summary>
    public static byte[] WritePull(PullRequest pull, IReadOnlyList<WireReply> replies)
    {
        var buffer = new ArrayBufferWriter<byte>(64 + replies.Sum(static r => r.Body.Length + 48));
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteNumber("partition", pull.Partition);
            writer.WriteNumber("attempt", pull.Attempt);
            writer.WriteNumber("max", pull.Max);
            WriteReplyArray(writer, replies);
            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    public static (PullRequest Pull, List<WireReply> Replies) ReadPull(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json);
        using var document = JsonDocument.ParseValue(ref reader);
        var root = document.RootElement;
        var pull = new PullRequest(Int(root, "partition"), Int(root, "attempt"), Int(root, "max"));
        var replies = root.ValueKind == JsonValueKind.Object && root.TryGetProperty("replies", out var array) && array.ValueKind != JsonValueKind.Null
            ? ReadReplyArray(array)
            : [];
        return (pull, replies);
    }

    private static void WriteReplyArray(Utf8JsonWriter writer, IReadOnlyList<WireReply> replies)
    {
        writer.WriteStartArray("replies");
        foreach (var reply in replies)
        {
            writer.WriteStartObject();
            writer.WriteString("id", reply.Id);
            writer.WriteNumber("status", reply.Status);
            writer.WritePropertyName("body");
            writer.WriteRawValue(reply.Body.Span, skipInputValidation: true);
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
    }

    private static List<WireReply> ReadReplyArray(JsonElement array)
    {
        if (array.ValueKind != JsonValueKind.Array)
        {
            throw new JsonException("Expected 'replies' to be a JSON array.");
        }

        var replies = new List<WireReply>(array.GetArrayLength());
        foreach (var item in array.EnumerateArray())
        {
            replies.Add(new WireReply(Property(item, "id").GetString()!, Int(item, "status"), JsonMarshal.GetRawUtf8Value(Property(item, "body")).ToArray()));
        }

        return replies;
    }

    private static int Int(JsonElement element, string name)
    {
        var value = Property(element, name);
        return value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var number)
            ? number
            : throw new JsonException($"Expected '{name}' to be a whole number, got {value.GetRawText()}.");
    }

    /// <summary><c>{"id":"0.0.17","replyTo":"http://.../replies","request":{...}}</c>: a request handed to another partition.</summary>
    public static byte[] WriteForward(string id, Uri replyTo, ReadOnlySpan<byte> request)
    {
        var buffer = new ArrayBufferWriter<byte>(request.Length + 128);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("id", id);
            writer.WriteString("replyTo", replyTo.ToString());
            writer.WritePropertyName("request");
            writer.WriteRawValue(request, skipInputValidation: true);
            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    public static (string Id, Uri ReplyTo, byte[] Request) ReadForward(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json);
        using var document = JsonDocument.ParseValue(ref reader);
        var root = document.RootElement;
        var replyTo = Property(root, "replyTo").GetString();
        if (!Uri.TryCreate(replyTo, UriKind.Absolute, out var uri))
        {
            throw new JsonException($"replyTo '{replyTo}' is not an absolute URL.");
        }

        return (Property(root, "id").GetString()!, uri, JsonMarshal.GetRawUtf8Value(Property(root, "request")).ToArray());
    }

    /// <summary>Checks that a body is one well-formed JSON value, without binding it to a type.</summary>
    public static bool IsWellFormed(ReadOnlySpan<byte> json, out string? error)
    {
        try
        {
            var reader = new Utf8JsonReader(json);
            if (!reader.Read())
            {
                error = "The request body is empty; a JSON value was expected.";
                return false;
            }

            reader.Skip();
            if (reader.Read())
            {
                error = $"The request body holds more than one JSON value (something follows at byte {reader.TokenStartIndex + 1}).";
                return false;
            }

            error = null;
            return true;
        }
        catch (JsonException ex)
        {
            error = Shared.JsonErrors.Describe(ex);
            return false;
        }
    }

    private static JsonElement Property(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value)
            ? value
            : throw new JsonException($"Expected a JSON object with a '{name}' property.");
}
