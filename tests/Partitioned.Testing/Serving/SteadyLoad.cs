using System.Collections.Concurrent;
using System.Net.Http.Json;

namespace Partitioned.Testing;

/// <summary>
/// Steady load on one service: <c>loops</c> callers, each sending its next request as soon as the last is answered,
/// until stopped. Records every answer's status and, for 200s, the reply.
/// </summary>
public sealed class SteadyLoad : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private readonly Task[] _loops;

    private SteadyLoad(HttpClient client, string path, object body, int loops)
    {
        _loops = [.. Enumerable.Range(0, loops).Select(_ => Task.Run(() => LoopAsync(client, path, body)))];
    }

    /// <summary>Every answer so far: status, reply (for a 200) or problem text.</summary>
    public ConcurrentQueue<(int Status, VersionReply? Reply, string? Problem)> Answers { get; } = new();

    /// <summary>Requests that got no HTTP answer at all (the connection broke).</summary>
    public ConcurrentQueue<string> Errors { get; } = new();

    /// <summary>Starts the load.</summary>
    public static SteadyLoad Start(HttpClient client, string path, object body, int loops) => new(client, path, body, loops);

    /// <summary>Waits until <paramref name="count"/> more answers came in.</summary>
    public async Task WaitForAnswersAsync(int count, TimeSpan timeout)
    {
        var target = Answers.Count + count;
        using var deadline = new CancellationTokenSource(timeout);
        while (Answers.Count < target)
        {
            await Task.Delay(20, deadline.Token);
        }
    }

    /// <summary>Stops sending and waits for the requests under way.</summary>
    public async Task StopAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_loops).WaitAsync(TimeSpan.FromSeconds(60));
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        _stop.Dispose();
    }

    private async Task LoopAsync(HttpClient client, string path, object body)
    {
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                // Not cancelled by the stop: a request under way is answered, not abandoned.
                using var response = await client.PostAsJsonAsync(path, body);
                if (response.IsSuccessStatusCode)
                {
                    Answers.Enqueue(((int)response.StatusCode, await response.Content.ReadFromJsonAsync<VersionReply>(), null));
                }
                else
                {
                    Answers.Enqueue(((int)response.StatusCode, null, await response.Content.ReadAsStringAsync()));
                }
            }
            catch (HttpRequestException ex)
            {
                Errors.Enqueue(ex.Message);
            }
        }
    }
}
