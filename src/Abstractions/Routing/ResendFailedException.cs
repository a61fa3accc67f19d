namespace Partitioned.Routing;

/// <summary>A request <see cref="ResendLoop"/> routed got no answer, and may not be sent again; each router turns it into its own error.</summary>
internal sealed class ResendFailedException(TryFailure failure, ReplicaTarget? target, int tries, Exception? innerException)
    : Exception(Describe(failure, target, tries, innerException), innerException)
{
    /// <summary>Why the last try failed.</summary>
    public TryFailure Failure { get; } = failure;

    /// <summary>The replica of the last try, or null when none was picked.</summary>
    public ReplicaTarget? Target { get; } = target;

    /// <summary>How many replicas were tried.</summary>
    public int Tries { get; } = tries;

    /// <summary>True when the request may have been processed by a replica (it was sent and no answer came).</summary>
    public bool MayHaveBeenProcessed => Failure is TryFailure.ReplicaLost or TryFailure.ReplicaSuspected or TryFailure.TryTimedOut or TryFailure.Broken or TryFailure.DeadlinePassed;

    private static string Describe(TryFailure failure, ReplicaTarget? target, int tries, Exception? inner)
    {
        var where = target is { } t ? $"partition {t.Partition} replica {t.Replica} (attempt {t.Attempt}) at {t.Endpoint}" : "no replica";
        var what = failure switch
        {
            TryFailure.NoReplica => tries == 0 ? "no replica serves" : "no other replica serves to send it to",
            TryFailure.NotSent => $"{where} could not be reached",
            TryFailure.ReplicaLost => $"{where} was declared lost while it held the request",
            TryFailure.ReplicaSuspected => $"{where} stopped answering health checks while it held the request",
            TryFailure.TryTimedOut => $"{where} did not answer within the time its service's answers take",
            TryFailure.Broken => $"{where} broke the connection before answering",
            _ => $"{where} did not answer before the deadline",
        };
        return inner is null || failure == TryFailure.NoReplica ? $"{what} ({tries} tried)." : $"{what} ({tries} tried): {inner.Message}";
    }
}
