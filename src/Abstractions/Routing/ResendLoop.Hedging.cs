namespace Partitioned.Routing;

/// <summary>One try on one replica, and the race of a hedged request (a first try, then the same request on a second replica).</summary>
internal sealed partial class ResendLoop
{
    // Sends one try and classifies how it ended. A try cancelled because the other of a hedged pair answered first ended
    // well for the replica: it was only slower.
    private async Task<TryOutcome<TResult>> TryOnceAsync<TRequest, TResult>(TRequest request, Try attempt, RoundTripEstimate? observed, bool hedge, CancellationToken race, CancellationToken cancellationToken)
        where TRequest : IResendable<TResult>
    {
        var target = attempt.Target;
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, attempt.Follow, race);
        if (attempt.Limit != Timeout.InfiniteTimeSpan)
        {
            linked.CancelAfter(attempt.Limit);
        }

        var started = timeProvider.GetTimestamp();
        try
        {
            var result = await (hedge ? request.HedgeAsync(target, linked.Token) : request.TryAsync(target, linked.Token)).ConfigureAwait(false);
            var elapsed = timeProvider.GetElapsedTime(started);
            selector.Complete(target, reached: true, elapsed);
            observed?.Add(elapsed);
            return new TryOutcome<TResult>(true, result, null, null);
        }
        catch (Exception ex) when ((race.IsCancellationRequested || ex is HedgeLostException) && !cancellationToken.IsCancellationRequested)
        {
            // Outrun: how long it took so far is a lower bound of its answer, and the adaptive policy learns from it.
            selector.Complete(target, reached: true, timeProvider.GetElapsedTime(started));
            return new TryOutcome<TResult>(false, default, TryFailure.Broken, ex);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested && Classify(ex, TimedOut(linked, attempt.Signal.Lost, attempt.Follow, attempt.Movable, attempt.BySlowness), attempt.Signal.Lost, attempt.Movable ? attempt.Follow : CancellationToken.None) is { } failure)
        {
            selector.Complete(target, reached: failure == TryFailure.DeadlinePassed);
            return new TryOutcome<TResult>(false, default, failure, ex);
        }
        catch (Exception ex)
        {
            selector.Complete(target, reached: true);
            return new TryOutcome<TResult>(false, default, null, ex);
        }
    }

    // The first try runs; if it has not answered after the delay, and the budget and another replica allow, the same
    // request goes to the next-ranked replica. The first answer wins; the other try is cancelled.
    private async Task<TryOutcome<TResult>> RaceAsync<TRequest, TResult>(TRequest request, int partition, Try first, RoundTripEstimate? observed, Hedger hedger, TimeSpan delay, List<Uri>? tried, CancellationToken cancellationToken)
        where TRequest : IResendable<TResult>
    {
        using var firstRace = new CancellationTokenSource();
        var firstTask = TryOnceAsync<TRequest, TResult>(request, first, observed, hedge: false, firstRace.Token, cancellationToken);
        using (var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
        {
            var timer = Task.Delay(delay, timeProvider, wait.Token);
            if (await Task.WhenAny(firstTask, timer).ConfigureAwait(false) == firstTask)
            {
                wait.Cancel();
                return await firstTask.ConfigureAwait(false);
            }
        }

        if (cancellationToken.IsCancellationRequested || !TryPickHedge(partition, first, tried, out var hedge, out var hedgeTry))
        {
            return await firstTask.ConfigureAwait(false);
        }

        if (!hedger.TryTake())
        {
            // The budget is spent: the pick is undone, nothing was sent.
            selector.Complete(hedge, reached: true);
            return await firstTask.ConfigureAwait(false);
        }

        hedger.Sending(first.Target, hedge, delay);
        using var hedgeRace = new CancellationTokenSource();
        var hedgeTask = TryOnceAsync<TRequest, TResult>(request, hedgeTry, observed, hedge: true, hedgeRace.Token, cancellationToken);
        var done = await Task.WhenAny(firstTask, hedgeTask).ConfigureAwait(false);
        var other = done == firstTask ? hedgeTask : firstTask;
        var outcome = await done.ConfigureAwait(false);
        if (!outcome.Succeeded)
        {
            // One failed: the other may still answer.
            var late = await other.ConfigureAwait(false);
            if (late.Succeeded)
            {
                if (other == hedgeTask)
                {
                    hedger.HedgeWon();
                }

                return late;
            }

            // Both failed: the caller hears the first try's failure; the hedge's replica counts as tried.
            var firstOutcome = done == firstTask ? outcome : late;
            return firstOutcome with { Hedge = hedge };
        }

        if (done == hedgeTask)
        {
            hedger.HedgeWon();
        }

        // The winner answered: the other is cancelled, and an answer it may still give is let go.
        (other == hedgeTask ? hedgeRace : firstRace).Cancel();
        _ = DiscardAsync(other);
        return outcome;
    }

    private bool TryPickHedge(int partition, Try first, List<Uri>? tried, out ReplicaTarget hedge, out Try attempt)
    {
        List<Uri> excluded = [.. tried ?? [], first.Target.Endpoint];
        attempt = default;
        if (!selector.TryPick(partition, excluded, out hedge))
        {
            return false;
        }

        var signal = signals.For(hedge);
        var suspected = signal.Suspected(partitionBound: partition >= 0);
        if (signal.Lost.IsCancellationRequested || suspected.IsCancellationRequested)
        {
            selector.Complete(hedge, reached: false);
            return false;
        }

        // The hedge gets what is left of the first try's time (a hedge is not itself timed out for slowness).
        attempt = new Try(hedge, signal, suspected, Movable: true, first.Limit, BySlowness: false);
        return true;
    }

    private static async Task DiscardAsync<TResult>(Task<TryOutcome<TResult>> loser)
    {
        var outcome = await loser.ConfigureAwait(false);
        if (outcome.Succeeded && outcome.Result is IDisposable disposable)
        {
            disposable.Dispose();
        }
    }

    /// <summary>One try's replica, the signals it follows, and its time limit.</summary>
    private readonly record struct Try(ReplicaTarget Target, ReplicaSignals.Signal Signal, CancellationToken Follow, bool Movable, TimeSpan Limit, bool BySlowness);

    /// <summary>How a try ended: an answer, a classified failure, or (no failure) an exception to rethrow.</summary>
    private readonly record struct TryOutcome<TResult>(bool Succeeded, TResult? Result, TryFailure? Failure, Exception? Error)
    {
        /// <summary>The replica a failed hedge went to.</summary>
        public ReplicaTarget? Hedge { get; init; }
    }
}
