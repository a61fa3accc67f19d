using System.Text.Json;
using Partitioned.Routing;
using Partitioned.Security;
using Partitioned.Shared;

namespace Partitioned.Client;

/// <summary>
/// A client of a running partitioned cluster from another process or machine, opened with a read-only client key:
/// a live <see cref="Directory"/> of the partitions (followed over the coordinator's gRPC Watch stream), an
/// <see cref="HttpClient"/> per partition that follows re-launches, scatter-gather, and a client-side load balancer for
/// serving routes. The same shapes as the driver's <c>Cluster</c>.
/// </summary>
/// <remarks>
/// The client reconnects with backoff when the coordinator restarts or the network drops, resuming the directory
/// where it stopped. It declares the cluster gone (<see cref="Gone"/>; calls throw <see cref="ClusterGoneException"/>)
/// when the cluster stopped, the coordinator refused the key, or stayed unreachable for
/// <see cref="PartitionedClientOptions.GoneAfter"/>.
/// </remarks>
public sealed class PartitionedClient : IAsyncDisposable
{
    private readonly DirectoryFollower _follower;
    private readonly PartitionClients _clients;
    private int _disposed;

    private readonly IReadOnlyList<System.Security.Cryptography.X509Certificates.X509Certificate2> _trustedAuthorities;

    private PartitionedClient(Uri coordinatorAddress, DirectoryFollower follower, PartitionedClientOptions options, IReadOnlyList<System.Security.Cryptography.X509Certificates.X509Certificate2> trustedAuthorities)
    {
        CoordinatorAddress = coordinatorAddress;
        _follower = follower;
        _trustedAuthorities = trustedAuthorities;
        _clients = new PartitionClients(follower.Directory, options.ClientTimeout, trustedAuthorities, options.LoadBalancing, options.Hedging);
    }

    /// <summary>The coordinator this client follows.</summary>
    public Uri CoordinatorAddress { get; }

    /// <summary>The live partition directory.</summary>
    public PartitionDirectoryMirror Directory => _follower.Directory;

    /// <summary>Live endpoints by partition index (serving partitions only).</summary>
    public IReadOnlyDictionary<int, Uri> Hosts => Directory.Current.Hosts;

    /// <summary>Completes, with the reason, when the cluster is gone (it stopped, refused the key, or stayed unreachable).</summary>
    public Task<ClusterGoneException> Gone => _follower.Gone;

    /// <summary>How many Watch streams this client opened: 1, plus one per reconnect.</summary>
    public int Connections => _follower.Connections;

    /// <summary>
    /// Connects to the cluster whose coordinator listens at <paramref name="coordinatorAddress"/> (its JSON address,
    /// as <c>Cluster.CoordinatorAddress</c> gives), with a client key (or the cluster token), and returns once the
    /// directory's first snapshot arrived. <paramref name="key"/> may be a key exported with its trusted authorities
    /// (<see cref="ClientKey.Export"/>): a TLS cluster is then trusted through them only.
    /// </summary>
    /// <exception cref="ClusterGoneException">The coordinator refused the key.</exception>
    /// <exception cref="TimeoutException">The coordinator could not be reached within <see cref="PartitionedClientOptions.ConnectTimeout"/>.</exception>
    /// <exception cref="System.Security.Authentication.AuthenticationException">The coordinator's certificate is not trusted (the key carries no authority, or another one).</exception>
    public static Task<PartitionedClient> ConnectAsync(Uri coordinatorAddress, string key, PartitionedClientOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(key);

        // A bare value is taken as it is (the cluster token, too); a value followed by authorities is an exported key.
        var trimmed = key.Trim();
        return trimmed.Any(char.IsWhiteSpace)
            ? ConnectAsync(coordinatorAddress, ClientKey.Parse(trimmed), options, cancellationToken)
            : ConnectCoreAsync(coordinatorAddress, trimmed, [], options, cancellationToken);
    }

    /// <summary>
    /// Connects to the cluster whose coordinator listens at <paramref name="coordinatorAddress"/> with <paramref name="key"/>:
    /// under TLS the client trusts only the key's <see cref="ClientKey.TrustedAuthorities"/> (none: the machine's store), and
    /// checks that every certificate names the host it dialled. Returns once the directory's first snapshot arrived.
    /// </summary>
    /// <exception cref="ClusterGoneException">The coordinator refused the key.</exception>
    /// <exception cref="TimeoutException">The coordinator could not be reached within <see cref="PartitionedClientOptions.ConnectTimeout"/>.</exception>
    /// <exception cref="System.Security.Authentication.AuthenticationException">The coordinator's certificate is not trusted (the key carries no authority, or another one).</exception>
    public static Task<PartitionedClient> ConnectAsync(Uri coordinatorAddress, ClientKey key, PartitionedClientOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        return ConnectCoreAsync(coordinatorAddress, key.Value, key.TrustedAuthorities, options, cancellationToken);
    }

    private static async Task<PartitionedClient> ConnectCoreAsync(Uri coordinatorAddress, string key, IReadOnlyList<System.Security.Cryptography.X509Certificates.X509Certificate2> trustedAuthorities, PartitionedClientOptions? options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(coordinatorAddress);
        if (!coordinatorAddress.IsAbsoluteUri || coordinatorAddress.Scheme is not ("http" or "https"))
        {
            throw new ArgumentException($"The coordinator address must be an absolute http or https address such as http://127.0.0.1:5000/ (was {coordinatorAddress}).", nameof(coordinatorAddress));
        }

        options ??= new PartitionedClientOptions();
        options.Validate();
        var follower = await DirectoryFollower.ConnectAsync(coordinatorAddress, key, trustedAuthorities, options, cancellationToken).ConfigureAwait(false);
        return new PartitionedClient(coordinatorAddress, follower, options, trustedAuthorities);
    }

    /// <summary>
    /// The HTTP client of one partition, with its base address at the partition's <c>/app/</c>. It follows the partition
    /// when a re-launch moves it, and throws <see cref="PartitionUnavailableException"/> while it has no live endpoint.
    /// Do not dispose it; it belongs to this client.
    /// </summary>
    /// <exception cref="ClusterGoneException">The cluster is gone.</exception>
    public HttpClient GetClient(int partition)
    {
        ThrowIfGone();
        return _clients.Get(partition);
    }

    /// <summary>
    /// Queries every partition (or <see cref="ScatterOptions.Partitions"/>) concurrently and gathers the answers in
    /// partition order; a partition that fails or times out gives an error entry.
    /// </summary>
    /// <exception cref="ScatterFailedException">A partition failed and <see cref="ScatterOptions.RequireAll"/> is set.</exception>
    /// <exception cref="ClusterGoneException">The cluster is gone.</exception>
    public Task<ScatterResult<T>> ScatterAsync<T>(Func<int, HttpClient, CancellationToken, Task<T>> query, ScatterOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        ThrowIfGone();
        return _clients.ScatterAsync(query, options ?? new ScatterOptions(), cancellationToken);
    }

    /// <summary><c>GET</c>s <paramref name="relativePath"/> (relative to <c>/app/</c>) on every partition and reads each answer as JSON.</summary>
    /// <exception cref="ClusterGoneException">The cluster is gone.</exception>
    public Task<ScatterResult<T>> ScatterGetAsync<T>(string relativePath, ScatterOptions? options = null, JsonSerializerOptions? jsonOptions = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(relativePath);
        ThrowIfGone();
        return _clients.ScatterGetAsync<T>(relativePath, options ?? new ScatterOptions(), jsonOptions ?? JsonSerializerOptions.Web, cancellationToken);
    }

    /// <summary>
    /// A client-side load balancer over the live partitions, for serving routes (<c>serve/...</c>):
    /// <see cref="PartitionBalancer.CreateClient(HttpMessageHandler?)"/> gives an <see cref="HttpClient"/> that sends each request to a partition it picks.
    /// </summary>
    /// <param name="policy">One of <see cref="LoadBalancingPolicies.All"/>.</param>
    public PartitionBalancer CreateBalancer(string policy = LoadBalancingPolicies.RoundRobin)
    {
        ThrowIfGone();
        return new PartitionBalancer(Directory, policy) { DefaultHandler = () => PinnedTrust.CreateHandler(_trustedAuthorities) };
    }

    /// <summary>Stops following the directory and closes the partition clients' connections. Idempotent.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            await _follower.DisposeAsync().ConfigureAwait(false);
            _clients.Dispose();
        }
    }

    private void ThrowIfGone()
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (Gone.IsCompleted)
        {
            throw Gone.Result;
        }
    }
}
