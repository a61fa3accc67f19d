using Microsoft.Extensions.Logging;

namespace Partitioned.Coordination;

/// <summary>
/// Checks <c>GET /control/health</c> of every registered partition on a timer. A serving partition that fails
/// <see cref="CoordinatorOptions.UnhealthyThreshold"/> checks in a row is marked lost; a lost one that
/// answers again is marked serving.
/// </summary>
internal sealed partial class PartitionHealthMonitor : IAsyncDisposable
{
    private readonly PartitionDirectory _directory;
    private readonly CoordinatorOptions _options;
    private readonly ILogger _logger;
    private readonly HttpClient _http;
    private readonly CancellationTokenSource _stop = new();
    // Failed checks in a row, per (partition, attempt): attempt numbers are unique per partition across replicas.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<(int Partition, int Attempt), int> _failures = new();
    private Task _loop = Task.CompletedTask;

    public PartitionHealthMonitor(PartitionDirectory directory, CoordinatorOptions options, ILogger logger)
    {
        _directory = directory;
        _options = options;
        _logger = logger;
        _http = new HttpClient(Partitioned.Shared.PinnedTrust.Apply(new SocketsHttpHandler { PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30) }, options.Transport.TrustedAuthorities))
        {
            Timeout = options.HealthCheckTimeout,
        };
        _http.DefaultRequestHeaders.Authorization = options.Token.CreateAuthorizationHeader();
    }

    public volatile bool Suspended;

    public void Start() => _loop = RunAsync(_stop.Token);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _http.Dispose();
        _stop.Dispose();
    }

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(_options.HealthCheckInterval, _options.TimeProvider);
        while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
        {
            if (Suspended)
            {
                continue;
            }

            var targets = _directory.Current.Partitions
                .SelectMany(static p => p.Replicas.Where(static r => r.Endpoint is not null && r.State is PartitionState.Serving or PartitionState.Lost).Select(r => (p.Partition, Replica: r)))
                .ToList();
            foreach (var key in _failures.Keys)
            {
                if (!targets.Exists(c => c.Partition == key.Partition && c.Replica.Attempt == key.Attempt))
                {
                    _failures.TryRemove(key, out _);
                }
            }

            await Task.WhenAll(targets.Select(c => CheckAsync(c.Partition, c.Replica, cancellationToken))).ConfigureAwait(false);
        }
    }

    private async Task CheckAsync(int partition, ReplicaEntry entry, CancellationToken cancellationToken)
    {
        string? failure;
        try
        {
            using var response = await _http.GetAsync(new Uri(entry.Endpoint!, "control/health"), cancellationToken).ConfigureAwait(false);
            failure = response.IsSuccessStatusCode ? null : $"health check answered {(int)response.StatusCode} {response.ReasonPhrase}";
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            failure = ex is TaskCanceledException ? $"health check timed out after {_options.HealthCheckTimeout.TotalSeconds:0.#} s" : $"health check failed: {ex.Message}";
        }

        if (failure is null)
        {
            _failures.TryRemove((partition, entry.Attempt), out _);
            _directory.Touch(partition, entry.Attempt);
            if (entry.State == PartitionState.Lost && _directory.MarkRecovered(partition, entry.Attempt))
            {
                Log.Recovered(_logger, partition, entry.Attempt);
            }

            return;
        }

        var count = _failures.AddOrUpdate((partition, entry.Attempt), 1, static (_, n) => n + 1);
        Log.CheckFailed(_logger, partition, entry.Attempt, count, failure);
        // Checked again: a stop may have suspended checks while this one was under way.
        if (count >= _options.UnhealthyThreshold && entry.State == PartitionState.Serving && !Suspended
            && _directory.MarkLost(partition, entry.Attempt, $"{failure} ({count} checks in a row)"))
        {
            Log.MarkedLost(_logger, partition, entry.Attempt, count);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 10, Level = LogLevel.Debug, Message = "Partition {Partition} attempt {Attempt}: {Failure} ({Count} in a row).")]
        public static partial void CheckFailed(ILogger logger, int partition, int attempt, int count, string failure);

        [LoggerMessage(EventId = 11, Level = LogLevel.Warning, Message = "Partition {Partition} attempt {Attempt} marked lost after {Count} failed health checks.")]
        public static partial void MarkedLost(ILogger logger, int partition, int attempt, int count);

        [LoggerMessage(EventId = 12, Level = LogLevel.Information, Message = "Partition {Partition} attempt {Attempt} answers health checks again.")]
        public static partial void Recovered(ILogger logger, int partition, int attempt);
    }
}
