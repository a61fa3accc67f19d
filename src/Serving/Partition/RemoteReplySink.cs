using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Partitioned.Shared;

namespace Partitioned.Serving;

/// <summary>The reply of a request that came from elsewhere (the head node, or a partition that forwarded it): sent back through a reply channel.</summary>
internal sealed class RemoteReplySink<TReply>(Uri replyTo, string id, IReplyChannel channel, JsonTypeInfo<TReply> replyType) : ReplySink<TReply>
{
    public override (Uri ReplyTo, string Id)? RemoteOrigin => (replyTo, id);

    public override void Complete(in ReplyOutcome<TReply> outcome)
    {
        var body = outcome.IsError ? ProblemResponse.ToJson(outcome.Status, outcome.Title!, outcome.Detail!, id)
            : !outcome.RawJson.IsEmpty ? outcome.RawJson
            : JsonSerializer.SerializeToUtf8Bytes(outcome.Value!, replyType);
        channel.Send(replyTo, new WireReply(id, outcome.Status, body));
    }
}
