namespace Partitioned.Routing;

/// <summary>One request <see cref="ResendLoop"/> routes: how to try it on a replica, and whether it may be tried again.</summary>
/// <typeparam name="TResult">What a successful try gives.</typeparam>
internal interface IResendable<TResult>
{
    /// <summary>True when the request may run twice (its service or method is idempotent): then it goes to another replica even after it may have reached one.</summary>
    bool IsIdempotent(in ReplicaTarget target);

    /// <summary>False once a resend is impossible: a body that cannot be sent again, or an answer already on its way to the caller.</summary>
    bool CanResend { get; }

    /// <summary>Called when a try failed and the request goes to another replica (for logs).</summary>
    void Resending(in ReplicaTarget target, TryFailure failure, Exception error);

    /// <summary>Sends the request to <paramref name="target"/> and takes its answer.</summary>
    Task<TResult> TryAsync(ReplicaTarget target, CancellationToken cancellationToken);

    /// <summary>True when the request can be sent to a second replica while the first still holds it (a hedge).</summary>
    bool CanHedge { get; }

    /// <summary>
    /// Sends the request to <paramref name="target"/> while <see cref="TryAsync"/> may still run on another replica:
    /// whatever the two share must be safe to use at once, and only one answer may reach the caller.
    /// </summary>
    Task<TResult> HedgeAsync(ReplicaTarget target, CancellationToken cancellationToken);
}
