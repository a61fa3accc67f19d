namespace Partitioned.Serving;

/// <summary>Keeps an offline request's reply.</summary>
internal sealed class OfflineSink<TReply> : ReplySink<TReply>
{
    public ReplyOutcome<TReply>? Outcome { get; private set; }

    public override (Uri ReplyTo, string Id)? RemoteOrigin => null;

    public override void Complete(in ReplyOutcome<TReply> outcome) => Outcome = outcome;
}
