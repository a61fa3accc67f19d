using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Partitioned.Directories;
using Partitioned.Protocol;
using Partitioned.Security;

namespace Partitioned.Coordination;

/// <summary>
/// Checks <c>GET /control/health</c> of every registered replica, each on a loop of its own so a silent one never
/// delays the others. A check must be answered 2xx by the server the directory names (cluster, partition and attempt
/// in the body), within a timeout derived from that replica's round trips (<see cref="ProbeTimeout"/>). The first
/// failed check marks a serving replica suspected (routers move off it at once) and the next check follows at once;
/// <see cref="CoordinatorOptions.UnhealthyThreshold"/> failures in a row, over at least one interval, mark it lost. A suspected or lost replica that
/// answers again is marked recovered.
/// </summary>
/// <remarks>
/// With the defaults (1 s interval, 3 failures, a timeout of 400 ms on a healthy network, 1.25 times
/// longer after each failure) a node that goes silent is suspected within about 1.4 s and declared lost within about 2.5 s.
/// </remarks>
internal sealed partial class PartitionHealthMonitor : IAsyncDisposable
{
    // How often the set of replicas to check is compared with the directory (new registrations, ended attempts).
    private static readonly TimeSpan s_syncInterval = TimeSpan.FromMilliseconds(250);

    // The pause between checks of a replica whose last check failed.
    private static readonly TimeSpan s_recheckDelay = TimeSpan.FromMilliseconds(50);

    private readonly PartitionDirectory _directory;
    private readonly CoordinatorOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly HttpClient _http;
    private readonly CancellationTokenSource _stop = new();

    // Owned by the sync loop; each value's task is its replica's check loop.
    private readonly Dictionary<(int Partition, int Attempt, Uri Endpoint), (Task Loop, CancellationTokenSource Stop)> _probes = [];

    // Loops told to stop whose replica came back before they ended (replaced by a new loop): awaited on dispose.
    private readonly List<(Task Loop, CancellationTokenSource Stop)> _retired = [];
    private Task _loop = Task.CompletedTask;

    public PartitionHealthMonitor(PartitionDirectory directory, CoordinatorOptions options, ILogger logger)
    {
        _directory = directory;
        _options = options;
        _time = options.TimeProvider;
        _logger = logger;
        _http = new HttpClient(Partitioned.Security.PinnedTrust.Apply(new SocketsHttpHandler { PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30) }, options.Transport.TrustedAuthorities))
        {
            // Each check has its own timeout (ProbeTimeout).
            Timeout = Timeout.InfiniteTimeSpan,
        };
        _http.DefaultRequestHeaders.Authorization = options.Token.CreateAuthorizationHeader();
    }

    public volatile bool Suspended;

    public void Start() => _loop = RunAsync(_stop.Token);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        var all = _probes.Values.Concat(_retired).ToList();
        await Task.WhenAll(all.Select(static p => p.Loop)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        foreach (var probe in all)
        {
            probe.Stop.Dispose();
        }

        _http.Dispose();
        _stop.Dispose();
    }

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        var period = _options.HealthCheckInterval < s_syncInterval ? _options.HealthCheckInterval : s_syncInterval;
        using var timer = new PeriodicTimer(period, _time);
        do
        {
            Sync(cancellationToken);
        }
        while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false));
    }

    // Starts a check loop for every replica that has an endpoint and is serving or lost, and ends the loops of the rest.
    private void Sync(CancellationToken cancellationToken)
    {
        var targets = new HashSet<(int, int, Uri)>();
        foreach (var partition in _directory.Current.Partitions)
        {
            foreach (var replica in partition.Replicas)
            {
                if (replica.Endpoint is { } endpoint && replica.State is PartitionState.Serving or PartitionState.Lost)
                {
                    targets.Add((partition.Partition, replica.Attempt, endpoint));
                }
            }
        }

        foreach (var (key, probe) in _probes.Where(p => !targets.Contains(p.Key)).ToList())
        {
            probe.Stop.Cancel();
            if (probe.Loop.IsCompleted)
            {
                probe.Stop.Dispose();
                _probes.Remove(key);
            }
        }

        _retired.RemoveAll(static r =>
        {
            if (!r.Loop.IsCompleted)
            {
                return false;
            }

            r.Stop.Dispose();
            return true;
        });

        foreach (var target in targets)
        {
            if (!_probes.TryGetValue(target, out var existing) || existing.Stop.IsCancellationRequested)
            {
                if (existing.Loop is not null)
                {
                    _retired.Add(existing);
                }

                var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                _probes[target] = (CheckLoopAsync(target.Item1, target.Item2, target.Item3, stop.Token), stop);
            }
        }
    }

    private async Task CheckLoopAsync(int partition, int attempt, Uri endpoint, CancellationToken cancellationToken)
    {
        // The first check comes within one interval of registering (which just proved the replica alive), at a random
        // point of its second half, so a thousand replicas registered together are not all checked at one instant.
        await DelayAsync(_options.HealthCheckInterval * (0.5 + (Random.Shared.NextDouble() / 2)), cancellationToken).ConfigureAwait(false);
        var timeout = new ProbeTimeout(_options.HealthCheckTimeout);
        var health = new Uri(endpoint, "control/health");
        var failures = 0;
        var inconclusive = 0;
        var firstFailure = 0L;
        while (!cancellationToken.IsCancellationRequested)
        {
            if (Suspended)
            {
                failures = 0;
                await DelayAsync(_options.HealthCheckInterval, cancellationToken).ConfigureAwait(false);
                continue;
            }

            var limit = timeout.Next;
            var started = _time.GetTimestamp();
            var failure = await CheckAsync(health, partition, attempt, limit, cancellationToken).ConfigureAwait(false);
            if (cancellationToken.IsCancellationRequested)
            {
                return;
            }

            var elapsed = _time.GetElapsedTime(started);
            if (failure is null)
            {
                timeout.Answered(elapsed);
                failures = inconclusive = 0;
                _directory.Touch(partition, attempt);
                if (_directory.MarkRecovered(partition, attempt))
                {
                    Log.Recovered(_logger, partition, attempt);
                }

                await DelayAsync(_options.HealthCheckInterval, cancellationToken).ConfigureAwait(false);
                continue;
            }

            // A timeout that fired far later than it was set for means this process stalled (a pause, a starved thread
            // pool), not the partition: the check says nothing, and is made again at once. Bounded, so a driver that
            // is always late still judges.
            if (failure.TimedOut && elapsed > (limit * 1.5) + TimeSpan.FromMilliseconds(100) && ++inconclusive <= 2 * _options.UnhealthyThreshold)
            {
                Log.Inconclusive(_logger, partition, attempt, elapsed.TotalMilliseconds, limit.TotalMilliseconds);
                continue;
            }

            timeout.Failed();
            if (failures++ == 0)
            {
                firstFailure = started;
            }

            Log.CheckFailed(_logger, partition, attempt, failures, failure.Reason);

            // Checked again: a stop may have suspended checks while this one was under way.
            if (Suspended)
            {
                continue;
            }

            // Lost only after failing for a whole interval too: refused connections fail in milliseconds, and a worker
            // that died gets that long for its runner to report how (an exit code says more than a refused check).
            var failingFor = _time.GetElapsedTime(firstFailure);
            if (failures >= _options.UnhealthyThreshold && failingFor < _options.HealthCheckInterval)
            {
                await DelayAsync(_options.HealthCheckInterval - failingFor, cancellationToken).ConfigureAwait(false);
            }
            else if (failures >= _options.UnhealthyThreshold)
            {
                if (_directory.MarkLost(partition, attempt, $"{failure.Reason} ({failures} checks in a row)"))
                {
                    Log.MarkedLost(_logger, partition, attempt, failures);
                }

                // A lost replica is checked at the normal pace: it recovers if it answers, or its attempt ends.
                await DelayAsync(_options.HealthCheckInterval, cancellationToken).ConfigureAwait(false);
            }
            else
            {
                if (_directory.MarkSuspected(partition, attempt, failure.Reason))
                {
                    Log.Suspected(_logger, partition, attempt, failure.Reason);
                }

                // The next check follows at once (after a breath): the sooner a silent replica is declared lost, the
                // sooner what it holds is sent elsewhere.
                await DelayAsync(s_recheckDelay, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private async Task<CheckFailure?> CheckAsync(Uri health, int partition, int attempt, TimeSpan limit, CancellationToken cancellationToken)
    {
        // The limit runs on the monitor's clock (tests drive it), linked with the loop's own stop.
        using var timer = new CancellationTokenSource(limit, _time);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timer.Token);
        try
        {
            using var response = await _http.GetAsync(health, HttpCompletionOption.ResponseContentRead, deadline.Token).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                return new CheckFailure($"health check answered {(int)response.StatusCode} {response.ReasonPhrase}");
            }

            // Another server may hold the port now (a fixed port range, a re-launch elsewhere): it must say who it is.
            var body = await response.Content.ReadFromJsonAsync<PartitionHealth>(ProtocolJson.Options, deadline.Token).ConfigureAwait(false);
            return body is not null && body.Partition == partition && body.Attempt == attempt && (_options.ClusterId is null || body.ClusterId == _options.ClusterId)
                ? null
                : new CheckFailure(body is null
                    ? "health check answered without a body"
                    : $"health check answered by another server (cluster {body.ClusterId}, partition {body.Partition}, attempt {body.Attempt})");
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return null;
        }
        catch (OperationCanceledException)
        {
            return new CheckFailure($"health check timed out after {limit.TotalMilliseconds:0} ms", TimedOut: true);
        }
        catch (HttpRequestException ex)
        {
            return new CheckFailure($"health check failed: {ex.Message}");
        }
        catch (JsonException ex)
        {
            return new CheckFailure($"health check answered something that is not a partition's health: {ex.Message}");
        }
    }

    private async Task DelayAsync(TimeSpan delay, CancellationToken cancellationToken) =>
        await Task.Delay(delay, _time, cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);

    private sealed record CheckFailure(string Reason, bool TimedOut = false);
}
