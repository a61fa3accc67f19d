namespace Partitioned.Serving;

/// <summary>Where answers of remotely held requests are handed for sending: the reply router, or a service's head-node outbox.</summary>
internal interface IReplyChannel
{
    void Send(Uri replyTo, WireReply reply);
}
