namespace Partitioned.Server;

/// <summary>
/// The driver link of a worker an engine launched (token file mode), which has no driver on its standard input: it
/// asks the coordinator every few seconds whether its attempt still runs. A "no" (410: the attempt is over, because it
/// ended, was marked lost, or a newer one replaced it, for example while this worker's node was cut off; or 409/404:
/// the coordinator never ran it), or no answer for <see cref="UnreachableLimit"/> (the driver is gone), ends the
/// attempt. So does the engine stopping the worker. Once the attempt's results were accepted, its end is expected and
/// stops nothing.
/// </summary>
internal sealed class CoordinatorWatch : IDriverLink
{
    internal static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(2);
    internal static readonly TimeSpan UnreachableLimit = TimeSpan.FromSeconds(30);

    private readonly CancellationTokenSource _gone = new();
    private readonly CancellationTokenSource _stop = new();
    private string? _reason;
    private Task _loop = Task.CompletedTask;

    public CancellationToken Gone => _gone.Token;

    public string? Reason => Volatile.Read(ref _reason);

    /// <summary>Starts asking, once the worker knows its attempt.</summary>
    public void Start(AttemptClient client, TimeProvider time) => _loop = WatchAsync(client, time, _stop.Token);

    /// <summary>Ends the attempt for a reason found elsewhere (the engine sent a stop signal).</summary>
    public void Signal(string reason)
    {
        if (Interlocked.CompareExchange(ref _reason, reason, null) is null)
        {
            try
            {
                _gone.Cancel();
            }
            catch (ObjectDisposedException)
            {
                // The worker already finished.
            }
        }
    }

    /// <summary>
    /// Stops asking and waits for a question in flight, so the caller may then dispose the client the questions go
    /// through. Idempotent.
    /// </summary>
    public async Task StopAsync()
    {
        _stop.Cancel();
        await _loop.ConfigureAwait(false);
    }

    public void Dispose()
    {
        // The worker awaited StopAsync before disposing the client; this only covers a watch that was never started
        // or a caller that returned early. It does not wait: the loop ends on the cancelled token by itself.
        _stop.Cancel();
        _stop.Dispose();
        _gone.Dispose();
    }

    private async Task WatchAsync(AttemptClient client, TimeProvider time, CancellationToken cancellationToken)
    {
        var lastAnswer = time.GetTimestamp();
        using var timer = new PeriodicTimer(PollInterval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                var check = await client.CheckAsync(cancellationToken).ConfigureAwait(false);
                if (client.ResultsAccepted)
                {
                    // The attempt handed back its results and ends now: an "over" from here on is that, not a reason to stop.
                    return;
                }

                switch (check)
                {
                    case AttemptCheck.Current:
                        lastAnswer = time.GetTimestamp();
                        break;
                    case AttemptCheck.Over:
                        var why = await client.AskWhyOverAsync(cancellationToken).ConfigureAwait(false);
                        Signal($"the coordinator no longer runs this attempt: {why ?? "it is over (410 Gone: it ended, was marked lost, or a newer attempt replaced it)"}");
                        return;
                    case AttemptCheck.NotCurrent:
                        Signal("the coordinator no longer runs this attempt (it does not know it, or the token is not its cluster's)");
                        return;
                    case AttemptCheck.NoAnswer when time.GetElapsedTime(lastAnswer) > UnreachableLimit:
                        Signal($"the coordinator did not answer for {UnreachableLimit.TotalSeconds:0} s, so the driver is taken to be gone");
                        return;
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The worker finished.
        }
        catch (ObjectDisposedException)
        {
            // The client was disposed under a question in flight: the worker is finishing and no longer needs the answer.
            // (StopAsync before disposing the client avoids this; a crash here would turn a clean exit into exit code 134.)
        }
    }
}
