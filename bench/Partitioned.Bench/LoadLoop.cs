using System.Diagnostics;
using System.Text;

namespace Partitioned.Bench;

/// <summary>
/// Closed-loop HTTP load from this process (each caller sends its next request when the last is answered), counting
/// every answer's status and recording latencies by second, so a window (a kill, a rollout) can be looked at alone.
/// </summary>
internal sealed class LoadLoop : IAsyncDisposable
{
    private static readonly byte[] s_body = Encoding.UTF8.GetBytes("""{"foo":"bar","bar":1}""");

    private readonly HttpClient _client;
    private readonly CancellationTokenSource _stop = new();
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly List<(double AtSeconds, double LatencyMs, int Status)>[] _samples;
    private readonly Task[] _loops;

    /// <param name="url">Where every request goes.</param>
    /// <param name="callers">Closed-loop callers.</param>
    /// <param name="handler">The client's handler (one that trusts a TLS front's authority, say); default plain.</param>
    public LoadLoop(Uri url, int callers, SocketsHttpHandler? handler = null)
    {
        handler ??= new SocketsHttpHandler();
        handler.PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30);
        handler.MaxConnectionsPerServer = callers;
        _client = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(60) };
        _samples = [.. Enumerable.Range(0, callers).Select(_ => new List<(double, double, int)>())];
        _loops = [.. Enumerable.Range(0, callers).Select(i => Task.Run(() => RunAsync(url, _samples[i])))];
    }

    public double Now => _clock.Elapsed.TotalSeconds;

    /// <summary>The first few answers that were not 200, with their bodies (what a problem said).</summary>
    public System.Collections.Concurrent.ConcurrentQueue<string> Problems { get; } = new();

    public async Task StopAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(_loops);
    }

    /// <summary>Every sample, once stopped.</summary>
    public IReadOnlyList<(double AtSeconds, double LatencyMs, int Status)> Samples => [.. _samples.SelectMany(static s => s)];

    public static double Percentile(IEnumerable<double> values, double percentile)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(percentile / 100 * sorted.Length) - 1)];
    }

    public async ValueTask DisposeAsync()
    {
        if (!_stop.IsCancellationRequested)
        {
            await StopAsync();
        }

        _client.Dispose();
        _stop.Dispose();
    }

    private async Task RunAsync(Uri url, List<(double, double, int)> samples)
    {
        while (!_stop.IsCancellationRequested)
        {
            var started = _clock.Elapsed.TotalSeconds;
            int status;
            try
            {
                using var content = new ByteArrayContent(s_body);
                content.Headers.ContentType = new("application/json");
                using var response = await _client.PostAsync(url, content);
                await response.Content.LoadIntoBufferAsync();
                status = (int)response.StatusCode;
                if (status != 200 && Problems.Count < 5)
                {
                    Problems.Enqueue($"{status}: {await response.Content.ReadAsStringAsync()}");
                }
            }
            catch (HttpRequestException)
            {
                status = 0; // no answer at all
            }

            samples.Add((started, (_clock.Elapsed.TotalSeconds - started) * 1000, status));
        }
    }
}
