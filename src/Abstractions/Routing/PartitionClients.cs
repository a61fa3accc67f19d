using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using Partitioned.Directories;
using Partitioned.Security;

namespace Partitioned.Routing;

/// <summary>
/// The HTTP clients of one cluster run (or of one remote client): one per partition (following re-launches) and
/// scatter-gather over them. All share one connection pool, disposed with the owner. The driver's clients
/// (<c>DriverClients</c> in Partitioned.Clustering) add the control client that sends shutdowns, over the same pool.
/// </summary>
internal class PartitionClients : IDisposable
{
    private readonly IPartitionDirectory _directory;
    private readonly TimeSpan _timeout;
    private readonly SocketsHttpHandler _pool;

    private readonly HttpClient?[] _clients;
    private readonly InFlightCounter _inFlight = new();
    private readonly ResendLoop _loop;

    /// <param name="directory">The partitions to reach.</param>
    /// <param name="timeout">Each request's timeout.</param>
    /// <param name="trustedAuthorities">Under TLS, the only authorities the partitions' certificates may chain to; none: cleartext (or the machine's store).</param>
    /// <param name="policy">How a partition's replica is chosen (one of <see cref="LoadBalancingPolicies"/>).</param>
    /// <param name="hedging">Hedged requests for idempotent methods, or null for none.</param>
    /// <param name="timeProvider">The clock of hedge delays and of the adaptive policy's statistics.</param>
    public PartitionClients(IPartitionDirectory directory, TimeSpan timeout, IReadOnlyList<System.Security.Cryptography.X509Certificates.X509Certificate2>? trustedAuthorities = null,
        string policy = LoadBalancingPolicies.RoundRobin, HedgingOptions? hedging = null, TimeProvider? timeProvider = null)
    {
        _directory = directory;
        _timeout = timeout;
        _pool = PinnedTrust.Apply(
            new SocketsHttpHandler { PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30), ConnectTimeout = TimeSpan.FromSeconds(5) },
            trustedAuthorities);
        var time = timeProvider ?? TimeProvider.System;
        _loop = new ResendLoop(new ReplicaSelector(directory, LoadBalancingPolicies.Parse(policy, nameof(policy)), time), ReplicaSignals.Of(directory), time)
        {
            Hedger = hedging is null ? null : new Hedger(hedging, directory.Current.PartitionCount),
        };
        _clients = new HttpClient?[directory.Current.PartitionCount];
    }

    /// <summary>The client of one partition, with <see cref="HttpClient.BaseAddress"/> at its <c>/app/</c>.</summary>
    public HttpClient Get(int partition)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(partition);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(partition, _clients.Length);
        var existing = Volatile.Read(ref _clients[partition]);
        if (existing is not null)
        {
            return existing;
        }

        var endpoint = _directory.Current[partition].Endpoint ?? new Uri($"http://partition-{partition}.invalid/");
        var client = new HttpClient(new PartitionEndpointHandler(this, _directory, partition, _pool, _inFlight, _loop), disposeHandler: false)
        {
            BaseAddress = new Uri(endpoint, "app/"),
            Timeout = _timeout,
        };
        return Interlocked.CompareExchange(ref _clients[partition], client, null) ?? client;
    }

    public async Task<ScatterResult<T>> ScatterAsync<T>(Func<int, HttpClient, CancellationToken, Task<T>> query, ScatterOptions options, CancellationToken cancellationToken)
    {
        var partitions = Enumerable.Range(0, _clients.Length);
        if (options.Partitions is { } chosen)
        {
            foreach (var partition in chosen)
            {
                if ((uint)partition >= (uint)_clients.Length)
                {
                    throw new ArgumentException($"Partition {partition} does not exist: the cluster has {_clients.Length} partitions.", nameof(options));
                }
            }

            partitions = chosen.Order();
        }

        var replies = await Task.WhenAll(partitions.Select(p => QueryOneAsync(p, query, options.PerPartitionTimeout, cancellationToken))).ConfigureAwait(false);
        var result = new ScatterResult<T>(replies);
        if (options.RequireAll && !result.AllSucceeded)
        {
            throw new ScatterFailedException(result.Failures.ToDictionary(static f => f.Partition, static f => f.Error!), replies.Length);
        }

        return result;
    }

    /// <summary>
    /// Waits (up to <paramref name="timeout"/>) for requests the driver's own code sent through partition clients
    /// to finish: disposing a client cancels its pending requests, and a graceful stop should not.
    /// </summary>
    public Task WaitForRequestsAsync(TimeSpan timeout) => _inFlight.WaitForZeroAsync(timeout);

    public bool IsDisposed { get; private set; }

    /// <summary>The resend loop every partition client sends through (tests and the bench read its statistics).</summary>
    internal ResendLoop Loop => _loop;

    /// <summary>The connection pool every client of this owner sends through.</summary>
    protected SocketsHttpHandler Pool => _pool;

    /// <remarks>
    /// Partition clients are not disposed: disposing an <see cref="HttpClient"/> cancels requests still reading
    /// their response. Disposing the shared pool closes idle connections now and busy ones when they finish;
    /// after that, a stale client fails with a message saying the run is over.
    /// </remarks>
    public void Dispose()
    {
        Dispose(disposing: true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Marks the clients disposed and closes the pool; a derived owner disposes its own clients of the pool first.</summary>
    protected virtual void Dispose(bool disposing)
    {
        if (disposing)
        {
            IsDisposed = true;
            _pool.Dispose();
        }
    }

    /// <summary><c>GET</c>s a path relative to <c>/app/</c> on every partition and reads each answer as JSON.</summary>
    public Task<ScatterResult<T>> ScatterGetAsync<T>(string relativePath, ScatterOptions options, JsonSerializerOptions json, CancellationToken cancellationToken)
    {
        var path = relativePath.TrimStart('/');
        return ScatterAsync(
            async (_, client, token) => (await client.GetFromJsonAsync<T>(path, json, token).ConfigureAwait(false))!,
            options,
            cancellationToken);
    }

    private async Task<PartitionReply<T>> QueryOneAsync<T>(int partition, Func<int, HttpClient, CancellationToken, Task<T>> query, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            T value;
            try
            {
                value = await query(partition, Get(partition), deadline.Token).ConfigureAwait(false);
            }
            catch (HttpRequestException ex) when (ex.StatusCode is null && !deadline.IsCancellationRequested && _directory.Current[partition] is { Replicas.Length: > 1, ServingReplicas: > 0 })
            {
                // The replica it asked failed before answering (no status: a transport failure, and it is now set
                // aside): ask another, once. An answer with an error status is the partition's answer, not retried.
                value = await query(partition, Get(partition), deadline.Token).ConfigureAwait(false);
            }

            return new PartitionReply<T>(partition, value, null, Stopwatch.GetElapsedTime(started));
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            var error = new TimeoutException($"Partition {partition} did not answer within {timeout.TotalSeconds:0.###} s.");
            return new PartitionReply<T>(partition, default, error, Stopwatch.GetElapsedTime(started));
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            return new PartitionReply<T>(partition, default, ex, Stopwatch.GetElapsedTime(started));
        }
    }
}
