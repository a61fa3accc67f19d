namespace Partitioned.Serving;

/// <summary>The reply of a request held by an HTTP connection on this partition: the connection awaits <see cref="Task"/>.</summary>
internal sealed class HttpReplySink<TReply> : ReplySink<TReply>
{
    private readonly TaskCompletionSource<ReplyOutcome<TReply>> _reply = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task<ReplyOutcome<TReply>> Task => _reply.Task;

    public override (Uri ReplyTo, string Id)? RemoteOrigin => null;

    public override void Complete(in ReplyOutcome<TReply> outcome) => _reply.TrySetResult(outcome);
}
