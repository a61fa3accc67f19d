namespace Partitioned.Clustering;

/// <summary>
/// Attempt numbers for workers an engine launched itself (<see cref="ExternalWorkersRunner"/>): a worker asks through the
/// attempt routes and gets its partition's current attempt, or waits for the next one its line launches.
/// </summary>
internal sealed class AttemptAssignment<TRow, TResult>
{
    private readonly PartitionLines<TRow, TResult> _lines;

    // Per partition, under the lines' gate: completes when the partition's next attempt was launched (or its line ended).
    private readonly TaskCompletionSource[] _nextAttempt;

    public AttemptAssignment(PartitionLines<TRow, TResult> lines)
    {
        _lines = lines;
        _nextAttempt = [.. Enumerable.Range(0, lines.Settings.Dataset.PartitionCount).Select(static _ => NewSignal())];
    }

    /// <summary>True when the runner launches nothing: workers started by an engine ask for their attempt numbers.</summary>
    public bool AssignsAttempts => _lines.Settings.Options.Runner is ExternalWorkersRunner;

    /// <summary>
    /// Gives an engine-launched worker of <paramref name="partition"/> its attempt: the partition's current attempt if no
    /// worker took it yet; otherwise the worker replaces the one running it (the engine retried or requeued it), which
    /// ends that attempt as failed, and gets the next attempt once the cluster launched it (after the usual backoff).
    /// </summary>
    /// <returns>The attempt number, or null with the reason when the partition takes no more attempts.</returns>
    public async Task<(int? Attempt, string? Refusal)> AssignAsync(int partition, TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (!AssignsAttempts)
        {
            return (null, $"this cluster launches its own workers (runner '{_lines.Settings.Options.Runner.Name}'), so it assigns no attempt numbers; a worker it launched finds its attempt in {Protocol.WorkerProtocol.AttemptVariable}");
        }

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        while (true)
        {
            Task next;
            lock (_lines.Gate)
            {
                next = _nextAttempt[partition].Task;
            }

            if (_lines.IsStopping)
            {
                return (null, "the cluster is stopping");
            }

            if (_lines.Partitions[partition]?.IsCompleted == true)
            {
                return (null, $"partition {partition} takes no more attempts in this run (it failed for good or the cluster stopped)");
            }

            if (_lines.Line(partition, 0).ReadCurrent()?.Attempt is { IsEnded: false } current)
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

    /// <summary>An engine-launched attempt that reported an error (its worker failed before serving) ends at once.</summary>
    public void EndReportedAttempt(int partition, int attempt, string error)
    {
        if (AssignsAttempts && _lines.GetAttempt(partition, attempt) is { } current)
        {
            current.TryMarkLost($"its worker reported a failure: {error}");
        }
    }

    /// <summary>The partition launched its next attempt, or a line of it ended: workers waiting for a number look again.</summary>
    public void Signal(int partition)
    {
        TaskCompletionSource signal;
        lock (_lines.Gate)
        {
            signal = _nextAttempt[partition];
            _nextAttempt[partition] = NewSignal();
        }

        signal.TrySetResult();
    }

    /// <summary>Workers waiting for an attempt number learn that none will come (the cluster stops).</summary>
    public void WakeAll()
    {
        for (var partition = 0; partition < _nextAttempt.Length; partition++)
        {
            Signal(partition);
        }
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);
}
