namespace Partitioned.Serving;

/// <summary>Where a request's one reply goes: the connection that holds it here, or a remote origin (head node, another partition).</summary>
internal abstract class ReplySink<TReply>
{
    /// <summary>The reply route and id a forwarded copy of the request must answer to.</summary>
    public abstract (Uri ReplyTo, string Id)? RemoteOrigin { get; }

    public abstract void Complete(in ReplyOutcome<TReply> outcome);
}
