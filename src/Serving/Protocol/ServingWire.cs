using System.Buffers;
using System.Net.Http.Headers;
using System.Text.Json;

namespace Partitioned.Serving;

/// <summary>
/// The JSON shapes serving nodes exchange (documented in the README). Bodies are embedded as raw JSON values,
/// never re-encoded as strings, so a reply is serialised once on the partition that produced it.
/// </summary>
internal static class ServingWire
{
    /// <summary>Set to "true" on every answer of a service with <see cref="ServiceOptions.Idempotent"/>.</summary>
    public const string IdempotentHeader = "Partitioned-Idempotent";

    /// <summary>
    /// Sent with every answer of <c>POST /serve/{name}</c> on a partition: requests waiting in that service's queue when
    /// it answered (adaptive replica selection ranks replicas by it).
    /// </summary>
    public const string QueueHeader = Partitioned.Routing.ReplicaRanks.QueueHeader;

    /// <summary>
    /// The header a partition attempt sends with the answers it posts (<c>{partition}/{attempt}</c>), so the head node
    /// hears an answer only from the attempt that holds its request.
    /// </summary>
    public const string AttemptHeader = "Partitioned-Attempt";

    /// <summary>The content type of every body serving nodes send each other (shared: never changed after creation).</summary>
    public static readonly MediaTypeHeaderValue JsonContentType = new("application/json");

    /// <summary><c>{"requests":[{"id":"h-1","body":{...},"traceparent":"00-..."}]}</c>: a batch handed to a pulling partition (<c>traceparent</c> optional).</summary>
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
            if (request.TraceParent is { } traceParent)
            {
                writer.WriteString("traceparent", traceParent);
            }

            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    public static List<WireRequest> ReadRequests(ReadOnlyMemory<byte> json)
    {
        using var document = WireJson.ParseObject(json);
        var array = WireJson.Array(document.RootElement, "requests");
        var requests = new List<WireRequest>(array.GetArrayLength());
        var index = 0;
        foreach (var element in array.EnumerateArray())
        {
            var item = WireJson.Item(element, "requests", index);
            var traceParent = item.TryGetProperty("traceparent", out _) ? WireJson.String(item, "traceparent", "requests", index) : null;
            requests.Add(new WireRequest(WireJson.String(item, "id", "requests", index), WireJson.Raw(item, "body", "requests", index), traceParent));
            index++;
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

    public static List<WireReply> ReadReplies(ReadOnlyMemory<byte> json)
    {
        using var document = WireJson.ParseObject(json);
        return ReadReplyArray(WireJson.Array(document.RootElement, "replies"));
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

    public static (PullRequest Pull, List<WireReply> Replies) ReadPull(ReadOnlyMemory<byte> json)
    {
        using var document = WireJson.ParseObject(json);
        var root = document.RootElement;
        var pull = new PullRequest(WireJson.Int(root, "partition"), WireJson.Int(root, "attempt"), WireJson.Int(root, "max"));
        var replies = root.TryGetProperty("replies", out var array) && array.ValueKind != JsonValueKind.Null
            ? ReadReplyArray(WireJson.Array(root, "replies"))
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
        var replies = new List<WireReply>(array.GetArrayLength());
        var index = 0;
        foreach (var element in array.EnumerateArray())
        {
            var item = WireJson.Item(element, "replies", index);
            var status = WireJson.Int(item, "status", "replies", index);
            if (status is < 100 or > 599)
            {
                throw new JsonException($"{WireJson.Path("replies", index, "status")} must be an HTTP status from 100 to 599, got {status}");
            }

            replies.Add(new WireReply(WireJson.String(item, "id", "replies", index), status, WireJson.Raw(item, "body", "replies", index)));
            index++;
        }

        return replies;
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

    public static (string Id, Uri ReplyTo, byte[] Request) ReadForward(ReadOnlyMemory<byte> json)
    {
        using var document = WireJson.ParseObject(json);
        var root = document.RootElement;
        var replyTo = WireJson.String(root, "replyTo");
        if (!Uri.TryCreate(replyTo, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            throw new JsonException($"$.replyTo must be an absolute http or https URL, got '{replyTo}'");
        }

        return (WireJson.String(root, "id"), uri, WireJson.Raw(root, "request"));
    }
}
