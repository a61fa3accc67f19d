using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Partitioned.Directories;
using Partitioned.Protocol;
using Partitioned.Security;

namespace Partitioned.Coordination;

/// <summary>
/// Checks <c>GET /control/health</c> of every registered replica. Replicas are checked in groups, each on a loop of its
/// own so a silent one never delays the others: a replica in a process of its own is a group of one; the replicas of one
/// executor (a worker process hosting several attempts) are one group, checked through one member per interval, whose
/// answer lists every member's state (<see cref="HealthGroup"/>). So the checks grow with processes, not partitions.
/// A check must be answered 2xx by the server the directory names (cluster, partition and attempt in the body), within a
/// timeout derived from the group's round trips (<see cref="ProbeTimeout"/>). Per member, the first failure marks a
/// serving replica suspected (routers move off it at once) and the next check follows at once;
/// <see cref="CoordinatorOptions.UnhealthyThreshold"/> failures in a row, over at least one interval, mark it lost. A
/// suspected or lost replica that answers again is marked recovered.
/// </summary>
/// <remarks>
/// With the defaults (1 s interval, 3 failures, a timeout of 400 ms on a healthy network, 1.25 times
/// longer after each failure) a node that goes silent is suspected within about 1.4 s and declared lost within about 2.5 s.
/// </remarks>
internal sealed partial class PartitionHealthMonitor : IAsyncDisposable
{
    // How often the set of replicas to check is compared with the directory (new registrations, ended attempts).
    private static readonly TimeSpan s_syncInterval = TimeSpan.FromMilliseconds(250);

    private readonly PartitionDirectory _directory;
    private readonly ILogger _logger;
    private readonly HttpClient _http;
    private readonly CancellationTokenSource _stop = new();

    // Owned by the sync loop: the groups being checked, by key (the executor, or the replica's attempt and endpoint).
    private readonly Dictionary<string, HealthGroup> _groups = new(StringComparer.Ordinal);

    // Loops told to stop whose group came back before they ended (replaced by a new loop): awaited on dispose.
    private readonly List<HealthGroup> _retired = [];
    private Task _loop = Task.CompletedTask;

    public PartitionHealthMonitor(PartitionDirectory directory, CoordinatorOptions options, ILogger logger)
    {
        _directory = directory;
        Options = options;
        Time = options.TimeProvider;
        _logger = logger;
        _http = new HttpClient(Partitioned.Security.PinnedTrust.Apply(new SocketsHttpHandler { PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30) }, options.Transport.TrustedAuthorities))
        {
            // Each check has its own timeout (ProbeTimeout).
            Timeout = Timeout.InfiniteTimeSpan,
        };
        _http.DefaultRequestHeaders.Authorization = options.Token.CreateAuthorizationHeader();
    }

    public volatile bool Suspended;

    /// <summary>What each replica reported in flight at its last check (read by the driver's autoscaler).</summary>
    public ReplicaLoads Loads { get; } = new();

    internal CoordinatorOptions Options { get; }

    internal TimeProvider Time { get; }

    /// <summary>How many check loops run now (one per executor or per replica of its own), for tests and diagnostics.</summary>
    internal int GroupCount => Volatile.Read(ref _groupCount);

    private int _groupCount;

    public void Start() => _loop = RunAsync(_stop.Token);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        var all = _groups.Values.Concat(_retired).ToList();
        await Task.WhenAll(all.Select(static g => g.Loop)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        foreach (var group in all)
        {
            group.Stop.Dispose();
        }

        _http.Dispose();
        _stop.Dispose();
    }

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        var period = Options.HealthCheckInterval < s_syncInterval ? Options.HealthCheckInterval : s_syncInterval;
        using var timer = new PeriodicTimer(period, Time);
        do
        {
            Sync(cancellationToken);
        }
        while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false));
    }

    // Checks every replica that has an endpoint and is serving or lost, grouped by executor, and ends the loops of the rest.
    private void Sync(CancellationToken cancellationToken)
    {
        var targets = new Dictionary<string, List<HealthTarget>>(StringComparer.Ordinal);
        foreach (var partition in _directory.Current.Partitions)
        {
            foreach (var replica in partition.Replicas)
            {
                if (replica.Endpoint is { } endpoint && replica.State is PartitionState.Serving or PartitionState.Lost)
                {
                    var target = new HealthTarget(partition.Partition, replica.Attempt, endpoint);
                    var key = replica.Executor is { } executor ? "executor " + executor : $"{target.Partition} {target.Attempt} {endpoint}";
                    if (!targets.TryGetValue(key, out var members))
                    {
                        targets[key] = members = [];
                    }

                    members.Add(target);
                }
            }
        }

        foreach (var (key, group) in _groups.Where(g => !targets.ContainsKey(g.Key)).ToList())
        {
            group.Stop.Cancel();
            if (group.Loop.IsCompleted)
            {
                group.Stop.Dispose();
                _groups.Remove(key);
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

        foreach (var (key, members) in targets)
        {
            if (_groups.TryGetValue(key, out var existing) && !existing.Stop.IsCancellationRequested)
            {
                existing.Members = [.. members];
                continue;
            }

            if (existing is not null)
            {
                _retired.Add(existing);
            }

            var group = new HealthGroup(this, key.StartsWith("executor ", StringComparison.Ordinal) ? key["executor ".Length..] : null, [.. members], CancellationTokenSource.CreateLinkedTokenSource(cancellationToken));
            _groups[key] = group;
            group.Start();
        }

        Volatile.Write(ref _groupCount, _groups.Count);
    }

    /// <summary>One check of one member: null and its health answer when it answered as itself, else why not.</summary>
    internal async Task<(CheckFailure? Failure, PartitionHealth? Health)> CheckAsync(HealthTarget target, TimeSpan limit, CancellationToken cancellationToken)
    {
        // The limit runs on the monitor's clock (tests drive it), linked with the loop's own stop.
        using var timer = new CancellationTokenSource(limit, Time);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timer.Token);
        try
        {
            using var response = await _http.GetAsync(new Uri(target.Endpoint, "control/health"), HttpCompletionOption.ResponseContentRead, deadline.Token).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
            {
                return (new CheckFailure($"health check answered {(int)response.StatusCode} {response.ReasonPhrase}"), null);
            }

            // Another server may hold the port now (a fixed port range, a re-launch elsewhere): it must say who it is.
            var body = await response.Content.ReadFromJsonAsync<PartitionHealth>(ProtocolJson.Options, deadline.Token).ConfigureAwait(false);
            if (body is not null && body.Partition == target.Partition && body.Attempt == target.Attempt && (Options.ClusterId is null || body.ClusterId == Options.ClusterId))
            {
                Loads.Record(target.Partition, target.Attempt, body.InFlight);
                return (null, body);
            }

            return (new CheckFailure(body is null
                ? "health check answered without a body"
                : $"health check answered by another server (cluster {body.ClusterId}, partition {body.Partition}, attempt {body.Attempt})"), null);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return (null, null);
        }
        catch (OperationCanceledException)
        {
            return (new CheckFailure($"health check timed out after {limit.TotalMilliseconds:0} ms", TimedOut: true), null);
        }
        catch (HttpRequestException ex)
        {
            return (new CheckFailure($"health check failed: {ex.Message}"), null);
        }
        catch (JsonException ex)
        {
            return (new CheckFailure($"health check answered something that is not a partition's health: {ex.Message}"), null);
        }
    }

    /// <summary>A member answered, or its executor answered for it: it is healthy.</summary>
    internal void Confirm(HealthTarget member)
    {
        _directory.Touch(member.Partition, member.Attempt);
        if (_directory.MarkRecovered(member.Partition, member.Attempt))
        {
            Log.Recovered(_logger, member.Partition, member.Attempt);
        }
    }

    internal void CheckFailed(HealthTarget member, int failures, string reason) => Log.CheckFailed(_logger, member.Partition, member.Attempt, failures, reason);

    internal void Suspect(HealthTarget member, string reason)
    {
        if (_directory.MarkSuspected(member.Partition, member.Attempt, reason))
        {
            Log.Suspected(_logger, member.Partition, member.Attempt, reason);
        }
    }

    internal void Lose(HealthTarget member, string reason, int failures)
    {
        if (_directory.MarkLost(member.Partition, member.Attempt, $"{reason} ({failures} checks in a row)"))
        {
            Log.MarkedLost(_logger, member.Partition, member.Attempt, failures);
        }
    }

    internal void Inconclusive(HealthTarget member, TimeSpan elapsed, TimeSpan limit) =>
        Log.Inconclusive(_logger, member.Partition, member.Attempt, elapsed.TotalMilliseconds, limit.TotalMilliseconds);

    internal sealed record CheckFailure(string Reason, bool TimedOut = false);
}

/// <summary>A replica to check: its partition, attempt and endpoint.</summary>
internal readonly record struct HealthTarget(int Partition, int Attempt, Uri Endpoint);
