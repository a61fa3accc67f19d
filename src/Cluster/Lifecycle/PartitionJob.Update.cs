using Partitioned.Coordination;
using Partitioned.Server;

namespace Partitioned.Clustering;

/// <summary>Rolling updates: every replica replaced by the new version one at a time, never fewer serving than before.</summary>
internal sealed partial class PartitionJob<TRow, TResult>
{
    private readonly SemaphoreSlim _updating = new(1, 1);

    /// <summary>
    /// Replaces every replica with <paramref name="server"/>, one at a time: the new attempt starts next to the old one
    /// (a surge of one), its registration takes over the replica's place in the directory, and only then is the old one
    /// drained and stopped. A new attempt that fails or does not serve in time stops the rollout; the old one keeps serving.
    /// </summary>
    /// <param name="server">The new version.</param>
    /// <param name="shutdown">Sends a graceful shutdown to an endpoint; returns null when accepted, otherwise why not.</param>
    /// <param name="cancellationToken">Stops waiting (the replica being replaced then keeps its old version).</param>
    /// <returns>The new version number.</returns>
    public async Task<int> UpdateAsync(PartitionServerDefinition<TRow, TResult> server, Func<Uri, CancellationToken, Task<string?>> shutdown, CancellationToken cancellationToken)
    {
        if (!await _updating.WaitAsync(0, cancellationToken).ConfigureAwait(false))
        {
            throw new InvalidOperationException("A rolling update is already under way; wait for it to finish before starting another.");
        }

        try
        {
            var version = new ServerVersion(server, _version.Number + 1);
            var replaced = 0;
            for (var partition = 0; partition < _lines.Length; partition++)
            {
                for (var replica = 0; replica < Replicas; replica++)
                {
                    await ReplaceAsync(partition, replica, version, replaced, shutdown, cancellationToken).ConfigureAwait(false);
                    replaced++;
                }
            }

            // From now on, re-launches of any replica run the new version too.
            _version = version;
            return version.Number;
        }
        finally
        {
            _updating.Release();
        }
    }

    private async Task ReplaceAsync(int partition, int replica, ServerVersion version, int replaced, Func<Uri, CancellationToken, Task<string?>> shutdown, CancellationToken cancellationToken)
    {
        var timeout = _settings.Options.StartTimeout;

        // A replica being re-launched is waited for first: replacing it then keeps the count of serving replicas.
        LineRun? old = null;
        try
        {
            using var ready = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            ready.CancelAfter(timeout);
            await Coordinator.Directory.WaitUntilAsync(
                snapshot =>
                {
                    old = Line(partition, replica);
                    return _stopping || (old is not null && snapshot[partition].Replicas[replica] is { State: PartitionState.Serving } entry && entry.Attempt == old.Attempt.Launch.Attempt);
                },
                ready.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new RollingUpdateException(partition, replica, version.Number, replaced, $"the replica was not serving its old version within {timeout.TotalSeconds:0} s, so it was not replaced");
        }

        if (_stopping || old is null)
        {
            throw new InvalidOperationException("The cluster is stopping; the rolling update stopped with it.");
        }

        var oldEndpoint = Coordinator.Directory.Current[partition].Replicas[replica].Endpoint!;
        var incoming = Launch(partition, replica, version, [], incoming: true);
        var number = incoming.Attempt.Launch.Attempt;
        string? error = null;
        using (var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
        {
            deadline.CancelAfter(timeout);
            var serving = Coordinator.Directory.WaitUntilAsync(s => s[partition].Replicas[replica] is { State: PartitionState.Serving } e && e.Attempt == number, deadline.Token);
            await Task.WhenAny(serving, incoming.Task).ConfigureAwait(false);
            if (!serving.IsCompletedSuccessfully)
            {
                await deadline.CancelAsync().ConfigureAwait(false);
                error = incoming.Task.IsFaulted ? PartitionAttemptException.Describe(incoming.Task.Exception!.InnerException!)
                    : incoming.Task.IsCompleted ? "it stopped before it registered"
                    : cancellationToken.IsCancellationRequested ? "the update was cancelled"
                    : $"it did not register within {timeout.TotalSeconds:0} s";
            }
        }

        if (error is not null)
        {
            await GiveUpIncomingAsync(partition, replica, old, incoming, error).ConfigureAwait(false);
            cancellationToken.ThrowIfCancellationRequested();
            throw new RollingUpdateException(partition, replica, version.Number, replaced, error, incoming.Task.Exception?.InnerException);
        }

        // The new attempt serves and took the replica's place in the directory, so no new request goes to the old one:
        // the line follows the new attempt, and the old one drains what it holds and stops.
        bool movedOn;
        lock (_gate)
        {
            // The line moved on only if the old attempt died, the line adopted the new one, and that died too (and
            // was re-launched with the old version) between its registration and now.
            movedOn = _lines[partition][replica] != old && _lines[partition][replica] != incoming;
            if (!movedOn)
            {
                _lines[partition][replica] = incoming;
                incoming.Adopted = false;
            }

            old.Incoming = null;
        }

        if (movedOn)
        {
            throw new RollingUpdateException(partition, replica, version.Number, replaced, "the new attempt died right after it registered (its predecessor had died too), so the replica was re-launched with the old version");
        }

        if (await shutdown(oldEndpoint, cancellationToken).ConfigureAwait(false) is { } problem)
        {
            Log.AttemptFailed(_logger, partition, old.Attempt.Launch.Attempt, $"the rolling update could not drain it ({problem}); abandoning it");
            await old.Cancellation.CancelAsync().ConfigureAwait(false);
        }

        try
        {
            await ((Task)old.Task).WaitAsync(_settings.Options.StopTimeout, _settings.Options.TimeProvider, cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
        finally
        {
            if (!old.Task.IsCompleted)
            {
                await old.Cancellation.CancelAsync().ConfigureAwait(false);
            }
        }
    }

    // The new version failed: stop it, and give the replica's place back to the old attempt, which never stopped serving.
    // If the old one died meanwhile, its line adopted the new attempt (and may have re-launched the old version since):
    // then the line records the failure and re-launches the old version (decided before the cancel, so the line knows
    // why its attempt ends), and the old attempt, being dead, is not reinstated.
    private async Task GiveUpIncomingAsync(int partition, int replica, LineRun old, LineRun incoming, string error)
    {
        bool lineMovedOn;
        lock (_gate)
        {
            lineMovedOn = _lines[partition][replica] != old;
            if (lineMovedOn)
            {
                incoming.GivenUp = error;
            }

            old.Incoming = null;
        }

        await incoming.Cancellation.CancelAsync().ConfigureAwait(false);
        if (lineMovedOn)
        {
            return;
        }

        await ((Task)incoming.Task).WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        incoming.Attempt.End();
        Coordinator.ReinstateAttempt(partition, replica, old.Attempt.Launch.Attempt, old.Version.Number);
        Record([], Outcome(incoming, replica, AttemptStatus.Failed, $"rolling update to version {incoming.Version.Number}: {error}", incoming.Task.Exception?.InnerException));
    }
}
