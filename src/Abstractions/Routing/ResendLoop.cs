using Partitioned.Directories;

namespace Partitioned.Routing;

/// <summary>
/// The one "pick, send, resend" loop of every router (the per-partition clients, the client-side balancer and the
/// gateway). A request goes to the replica <see cref="ReplicaSelector"/> picks. It is sent again, to a replica not yet
/// tried, when nothing was sent (no connection), or, for an idempotent request, when the replica was lost or suspected
/// while it held the request, the connection broke, or the try outlived its service's observed latency (a node cut
/// off the network answers nothing at all). A request that is not idempotent ends at once when its replica is declared
/// lost, instead of waiting out its deadline. At most <see cref="MaxTries"/> replicas, all within the deadline. With a
/// <see cref="Hedger"/>, the first try of an idempotent request that has not been answered in time is also sent to
/// the next-ranked replica (ResendLoop.Hedging.cs).
/// </summary>
internal sealed partial class ResendLoop(ReplicaSelector selector, ReplicaSignals signals, TimeProvider timeProvider)
{
    /// <summary>The most replicas one request is sent to.</summary>
    public const int MaxTries = 3;

    /// <summary>The shortest per-try timeout: below it, an idempotent request would be sent twice for ordinary jitter.</summary>
    public static readonly TimeSpan MinTryTimeout = TimeSpan.FromSeconds(1);

    // Answers observed before the per-try timeout trusts the estimate.
    private const int MinSamples = 16;

    // How long a request that reached no replica at all waits for the directory to change before it tries them again.
    private static readonly TimeSpan s_unreachablePause = TimeSpan.FromMilliseconds(500);

    public ReplicaSelector Selector => selector;

    /// <summary>Hedging of idempotent requests, or null for none (<see cref="HedgingOptions"/>).</summary>
    public Hedger? Hedger { get; set; }

    public IPartitionDirectory Directory => selector.Directory;

    /// <summary>
    /// Routes <paramref name="request"/> to a replica of <paramref name="partition"/> (-1: any partition).
    /// <paramref name="latency"/> (observed answers of the request's service) gives the per-try timeout of idempotent
    /// requests, and learns from this one.
    /// </summary>
    /// <exception cref="ResendFailedException">No replica answered, and the request may not be sent again.</exception>
    public async Task<TResult> SendAsync<TRequest, TResult>(TRequest request, int partition, TimeSpan deadline, RoundTripEstimate? latency, CancellationToken cancellationToken)
        where TRequest : IResendable<TResult>
    {
        var deadlineAt = deadline == Timeout.InfiniteTimeSpan ? long.MaxValue : timeProvider.GetTimestamp() + (long)(deadline.TotalSeconds * timeProvider.TimestampFrequency);
        List<Uri>? tried = null;
        ResendFailedException? last = null;
        var tries = 0;
        while (true)
        {
            if (!selector.TryPick(partition, tried, out var target))
            {
                // Every replica was tried and none could be reached, yet nothing was sent: with a deadline, wait for the
                // directory to move (a silent node declared lost, its replacement registered) and try them all again.
                if (last is { Failure: TryFailure.NotSent } && tried is not null && deadlineAt != long.MaxValue
                    && timeProvider.GetTimestamp() + (long)(s_unreachablePause.TotalSeconds * timeProvider.TimestampFrequency) < deadlineAt)
                {
                    await WaitForChangeAsync(cancellationToken).ConfigureAwait(false);
                    tried = null;
                    continue;
                }

                // Nothing left to try: the caller hears what happened on the last replica tried, if any was.
                throw last ?? new ResendFailedException(TryFailure.NoReplica, null, tries, null);
            }

            // Suspicion and slowness move a request only while it has somewhere to go: the last try waits for its
            // replica's answer, its loss, or the deadline (a suspicion may be wrong; a 502 for one surely is).
            var idempotent = request.IsIdempotent(target);
            var movable = idempotent && tries + 1 < MaxTries;
            var signal = signals.For(target);
            var suspected = signal.Suspected(partitionBound: partition >= 0);
            if (signal.Lost.IsCancellationRequested || (movable && suspected.IsCancellationRequested))
            {
                // Picked from a directory version older than the signal: nothing was sent, so another replica gets it.
                selector.Complete(target, reached: false);
                (tried ??= []).Add(target.Endpoint);
                continue;
            }

            tries++;
            var remaining = deadlineAt == long.MaxValue ? Timeout.InfiniteTimeSpan : timeProvider.GetElapsedTime(timeProvider.GetTimestamp(), deadlineAt);
            var perTry = movable ? TryTimeout(latency) : null;

            // One source per try, with one timer for whichever of the deadline and the per-try timeout comes first: this
            // runs on every request through the gateway.
            var limit = remaining == Timeout.InfiniteTimeSpan ? perTry ?? Timeout.InfiniteTimeSpan
                : remaining <= TimeSpan.Zero ? TimeSpan.Zero
                : perTry is { } tryLimit && tryLimit < remaining ? tryLimit : remaining;
            var bySlowness = perTry is { } slow && slow == limit;
            var attempt = new Try(target, signal, movable ? suspected : signal.Lost, movable, limit, bySlowness);

            // Only a first try is hedged, and only when it could be sent again anyway (idempotent, tries left).
            var hedger = Hedger;
            var observed = latency ?? hedger?.LatencyOf(partition);
            var outcome = hedger is not null && movable && tries == 1 && request.CanHedge && hedger.Admit(observed!) is { } delay
                ? await RaceAsync<TRequest, TResult>(request, partition, attempt, observed, hedger, delay, tried, cancellationToken).ConfigureAwait(false)
                : await TryOnceAsync<TRequest, TResult>(request, attempt, observed, hedge: false, race: CancellationToken.None, cancellationToken).ConfigureAwait(false);
            if (outcome.Succeeded)
            {
                return outcome.Result!;
            }

            if (outcome.Failure is not { } failure)
            {
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(outcome.Error!);
                throw outcome.Error!;
            }

            var error = outcome.Error!;
            if (outcome.Hedge is { } hedged)
            {
                // The hedge failed too: its replica counts as tried.
                (tried ??= []).Add(hedged.Endpoint);
                tries++;
            }

            last = new ResendFailedException(failure, target, tries, error);
            if (failure == TryFailure.NotSent)
            {
                // Nothing was sent: that try does not count.
                tries--;
            }

            var resend = tries < MaxTries && failure != TryFailure.DeadlinePassed && request.CanResend
                && (failure == TryFailure.NotSent || idempotent);
            if (!resend)
            {
                throw last;
            }

            request.Resending(target, failure, error);
            (tried ??= []).Add(target.Endpoint);
        }
    }

    // Waits until the directory changes, or a pause passes.
    private async Task WaitForChangeAsync(CancellationToken cancellationToken)
    {
        var version = selector.Directory.Current.Version;
        using var pause = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        pause.CancelAfter(s_unreachablePause);
        try
        {
            await selector.Directory.WaitUntilAsync(s => s.Version != version, pause.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // The pause passed: try again anyway.
        }
    }

    /// <summary>How long one try of an idempotent request may take, or null while too few answers were observed.</summary>
    public static TimeSpan? TryTimeout(RoundTripEstimate? latency)
    {
        if (latency is not { Samples: >= MinSamples, Timeout: { } observed })
        {
            return null;
        }

        var limit = observed * 3;
        return limit > MinTryTimeout ? limit : MinTryTimeout;
    }

    // Which timer ended the try, if one did (the caller's token and the replica's signals are told apart by the caller).
    private static TryFailure? TimedOut(CancellationTokenSource linked, CancellationToken lost, CancellationToken suspected, bool movable, bool bySlowness) =>
        !linked.IsCancellationRequested || lost.IsCancellationRequested || (movable && suspected.IsCancellationRequested) ? null
        : bySlowness ? TryFailure.TryTimedOut
        : TryFailure.DeadlinePassed;

    private static TryFailure? Classify(Exception exception, TryFailure? timedOut, CancellationToken lost, CancellationToken suspected) =>
        exception is HttpRequestException connect && ResendRules.IsConnectFailure(connect) ? TryFailure.NotSent
        : timedOut == TryFailure.DeadlinePassed ? TryFailure.DeadlinePassed
        : ResendRules.IsConnectTimeout(exception) && !lost.IsCancellationRequested && !suspected.IsCancellationRequested && timedOut is null ? TryFailure.NotSent
        : lost.IsCancellationRequested ? TryFailure.ReplicaLost
        : suspected.IsCancellationRequested ? TryFailure.ReplicaSuspected
        : timedOut == TryFailure.TryTimedOut ? TryFailure.TryTimedOut
        : exception is HttpRequestException or IOException or OperationCanceledException ? TryFailure.Broken
        : null;
}
