using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Json;

namespace Partitioned.Testing.Network;

/// <summary>One request of a <see cref="CellLoad"/>: its key, when it was sent and answered, and how.</summary>
/// <param name="Key">The unique key it carried (the ledger records its runs under it).</param>
/// <param name="Sent">When it was sent (since the load started).</param>
/// <param name="Ended">When its answer (or error) came.</param>
/// <param name="Status">The HTTP status, or 0 when no answer came (the connection broke or was refused).</param>
/// <param name="Reply">The reply of a 200.</param>
/// <param name="Error">The problem text of a non-200, or the exception's message when no answer came.</param>
/// <param name="TimedOut">True when the client gave up waiting: a hung request.</param>
public sealed record CellAnswer(string Key, TimeSpan Sent, TimeSpan Ended, int Status, WorkReply? Reply, string? Error, bool TimedOut);

/// <summary>
/// Closed-loop load on one "work" service: <c>loops</c> callers, each sending its next request (with a fresh key) as
/// soon as the last one is answered, until stopped. Records every request.
/// </summary>
public sealed class CellLoad : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly HttpClient _client;
    private readonly Task[] _loops;

    private CellLoad(Uri address, string service, int ms, int loops, TimeSpan timeout, SocketsHttpHandler handler)
    {
        handler.MaxConnectionsPerServer = loops;
        _client = new HttpClient(handler) { BaseAddress = address, Timeout = timeout };
        _loops = [.. Enumerable.Range(0, loops).Select(_ => Task.Run(() => LoopAsync(service, ms)))];
    }

    /// <summary>Every request so far.</summary>
    public ConcurrentQueue<CellAnswer> Answers { get; } = new();

    /// <summary>Time since the load started.</summary>
    public TimeSpan Elapsed => _clock.Elapsed;

    /// <summary>
    /// Starts the load against <paramref name="address"/> through <paramref name="handler"/> (one that trusts the front's
    /// authority under TLS); a request unanswered after <paramref name="timeout"/> counts as hung.
    /// </summary>
    public static CellLoad Start(Uri address, string service, int ms, int loops, TimeSpan timeout, SocketsHttpHandler handler) => new(address, service, ms, loops, timeout, handler);

    /// <summary>Waits until <paramref name="count"/> more requests ended.</summary>
    public async Task WaitForAnswersAsync(int count, TimeSpan timeout)
    {
        var target = Answers.Count + count;
        using var deadline = new CancellationTokenSource(timeout);
        while (Answers.Count < target)
        {
            await Task.Delay(20, deadline.Token);
        }
    }

    /// <summary>Stops sending and waits for the requests under way (each ends by its timeout at the latest).</summary>
    public async Task StopAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_loops).WaitAsync(_client.Timeout + TimeSpan.FromSeconds(30));
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _client.Dispose();
        _stop.Dispose();
    }

    private async Task LoopAsync(string service, int ms)
    {
        while (!_stop.IsCancellationRequested)
        {
            var key = Guid.NewGuid().ToString("N");
            var sent = _clock.Elapsed;
            try
            {
                // Not cancelled by the stop: a request under way is answered, not abandoned.
                using var response = await _client.PostAsJsonAsync("serve/" + service, new WorkRequest(key, ms));
                var reply = response.IsSuccessStatusCode ? await response.Content.ReadFromJsonAsync<WorkReply>() : null;
                var problem = response.IsSuccessStatusCode ? null : await response.Content.ReadAsStringAsync();
                Answers.Enqueue(new CellAnswer(key, sent, _clock.Elapsed, (int)response.StatusCode, reply, problem, TimedOut: false));
            }
            catch (TaskCanceledException ex)
            {
                Answers.Enqueue(new CellAnswer(key, sent, _clock.Elapsed, 0, null, ex.Message, TimedOut: true));
            }
            catch (HttpRequestException ex)
            {
                Answers.Enqueue(new CellAnswer(key, sent, _clock.Elapsed, 0, null, ex.Message, TimedOut: false));

                // The front is gone (a stop): do not spin.
                await Task.Delay(20);
            }
        }
    }
}
