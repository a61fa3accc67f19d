namespace Partitioned.Server;

/// <summary>
/// The driver link of a worker an engine launched (token file mode), which has no driver on its standard input: it
/// asks the coordinator every few seconds whether its attempt is still current. A "no" (the attempt ended, or a newer
/// one replaced it: this worker is stale, for example on a node that was cut off and came back), or no answer for
/// <see cref="UnreachableLimit"/> (the driver is gone), ends the attempt. So does the engine stopping the worker.
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
                switch (await client.IsCurrentAsync(cancellationToken).ConfigureAwait(false))
                {
                    case true:
                        lastAnswer = time.GetTimestamp();
                        break;
                    case false:
                        Signal("the coordinator no longer runs this attempt (it ended, or a newer attempt replaced it)");
                        return;
                    case null when time.GetElapsedTime(lastAnswer) > UnreachableLimit:
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
