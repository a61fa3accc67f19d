namespace Partitioned.Clustering;

/// <summary>
/// What workers ask the job through the attempt routes: whether an attempt is still theirs to run, and attempt numbers
/// for workers an engine launched itself (<see cref="ExternalWorkersRunner"/>).
/// </summary>
internal sealed partial class PartitionJob<TRow, TResult>
{
    /// <summary>True when the runner launches nothing: workers started by an engine ask for their attempt numbers.</summary>
    public bool AssignsAttempts => _settings.Options.Runner is ExternalWorkersRunner;

    /// <summary>
    /// Gives an engine-launched worker of <paramref name="partition"/> its attempt: the partition's current attempt if no
    /// worker took it yet; otherwise the worker replaces the one running it (the engine retried or requeued it), which
    /// ends that attempt as failed, and gets the next attempt once the cluster launched it (after the usual backoff).
    /// </summary>
    /// <returns>The attempt number, or null with the reason when the partition takes no more attempts.</returns>
    public async Task<(int? Attempt, string? Refusal)> AssignAttemptAsync(int partition, TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (!AssignsAttempts)
        {
            return (null, $"this cluster launches its own workers (runner '{_settings.Options.Runner.Name}'), so it assigns no attempt numbers; a worker it launched finds its attempt in {Protocol.WorkerProtocol.AttemptVariable}");
        }

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        while (true)
        {
            Task next;
            lock (_gate)
            {
                next = _nextAttempt[partition].Task;
            }

            if (_stopping)
            {
                return (null, "the cluster is stopping");
            }

            if (_partitions[partition]?.IsCompleted == true)
            {
                return (null, $"partition {partition} takes no more attempts in this run (it failed for good or the cluster stopped)");
            }

            if (Line(partition, 0)?.Attempt is { IsEnded: false } current)
            {
                if (current.TryClaim())
                {
                    return (current.Launch.Attempt, null);
                }

                // A second worker for the partition: its engine replaced the first. The first one's attempt ends here.
                current.TryMarkLost($"its engine started another worker for partition {partition} (a retry or a requeue), which replaces attempt {current.Launch.Attempt}");
            }

            try
            {
                await next.WaitAsync(deadline.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                return (null, $"no attempt of partition {partition} was free to take within {timeout.TotalSeconds:0} s");
            }
        }
    }

    /// <summary>
    /// Looks attempt <paramref name="attempt"/> of <paramref name="partition"/> up for its worker. <c>Attempt</c> is the
    /// attempt while the job holds it (running, draining after a rolling update replaced it, or over but not yet
    /// replaced); <c>Over</c> says why it is over (it ended, was marked lost, or a newer attempt replaced it), null while
    /// it runs or drains. Both null: this run never launched it.
    /// </summary>
    public (PartitionAttempt<TRow, TResult>? Attempt, string? Over) LookUpAttempt(int partition, int attempt)
    {
        if (GetAttempt(partition, attempt) is { } held)
        {
            return (held, !held.IsOver ? null
                : held.Lost.IsCompletedSuccessfully ? $"it was marked lost: {held.Lost.Result}"
                : DescribeEnded(partition, attempt));
        }

        // Attempt numbers are handed out in order, so a lower one this run no longer holds existed and is over.
        var launched = (uint)partition < (uint)_attemptCounters.Length && attempt >= 0 && attempt < Volatile.Read(ref _attemptCounters[partition]);
        return (null, launched ? DescribeEnded(partition, attempt) : null);
    }

    private string DescribeEnded(int partition, int attempt)
    {
        AttemptOutcome? outcome;
        lock (_gate)
        {
            outcome = _outcomes.FindLast(o => o.Partition == partition && o.Attempt == attempt);
        }

        return outcome switch
        {
            null => "a newer attempt replaced it",
            { Status: AttemptStatus.Succeeded } => "it ended and handed back its results",
            { Status: AttemptStatus.Failed } => $"it failed: {outcome.Error}",
            _ => $"it was abandoned: {outcome.Error}",
        };
    }

    /// <summary>An engine-launched attempt that reported an error (its worker failed before serving) ends at once.</summary>
    public void EndReportedAttempt(int partition, int attempt, string error)
    {
        if (AssignsAttempts && GetAttempt(partition, attempt) is { } current)
        {
            current.TryMarkLost($"its worker reported a failure: {error}");
        }
    }

    private void SignalNextAttempt(int partition)
    {
        TaskCompletionSource signal;
        lock (_gate)
        {
            signal = _nextAttempt[partition];
            _nextAttempt[partition] = NewSignal();
        }

        signal.TrySetResult();
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
