using System.Net.Http.Headers;
using Microsoft.Extensions.Logging;
using Partitioned.Security;

namespace Partitioned.Server;

/// <summary>Who a partition server is: its partition, attempt and cluster, and where it logs.</summary>
public sealed class PartitionContext
{
    private readonly ClusterToken _token;
    private readonly PartitionTls? _tls;

    internal PartitionContext(PartitionLaunch launch, ILoggerFactory loggerFactory, ILogger logger, TimeProvider timeProvider, CancellationToken stopping)
    {
        TimeProvider = timeProvider;
        _token = launch.Token;
        _tls = launch.Tls;
        Coordinator = launch.Coordinator;
        ClusterId = launch.ClusterId;
        Partition = launch.Partition;
        Attempt = launch.Attempt;
        Replica = launch.Replica;
        PartitionCount = launch.PartitionCount;
        LoggerFactory = loggerFactory;
        Logger = logger;
        Stopping = stopping;
    }

    /// <summary>The cluster run this partition belongs to.</summary>
    public string ClusterId { get; }

    /// <summary>The partition index, from 0 to <see cref="PartitionCount"/> minus 1.</summary>
    public int Partition { get; }

    /// <summary>The attempt number: 0 for the first launch, one more for each re-launch.</summary>
    public int Attempt { get; }

    /// <summary>How many partitions the cluster has.</summary>
    public int PartitionCount { get; }

    /// <summary>Which replica of the partition this server is (0 when the cluster runs one replica per partition).</summary>
    public int Replica { get; }

    /// <summary>A logger whose scope names the partition and attempt.</summary>
    public ILogger Logger { get; }

    /// <summary>The factory for further loggers.</summary>
    public ILoggerFactory LoggerFactory { get; }

    /// <summary>Fires when the server starts stopping (shutdown requested or the attempt abandoned).</summary>
    public CancellationToken Stopping { get; }

    /// <summary>The clock this partition runs on (the cluster's; tests pass their own).</summary>
    public TimeProvider TimeProvider { get; }

    /// <summary>The coordinator's address.</summary>
    public Uri Coordinator { get; }

    /// <summary>
    /// Labels this attempt announces when it registers; the directory shows them on its replica (and so do the
    /// coordinator's status, its gRPC directory and remote clients). Set them in <c>InitializeAsync</c> or a feature's
    /// start: later changes are not sent. At most 32; keys of 1 to 128 ASCII letters, digits, '-', '_', '.' and '/'
    /// (prefix your own, as in <c>myapp/shard-range</c>; <c>partitioned.</c> keys belong to this library); values up
    /// to 4,096 characters. Labels that break these rules fail the attempt before it registers.
    /// </summary>
    public IDictionary<string, string> Labels { get; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>This server's own base address, once it listens (null before).</summary>
    public Uri? Endpoint { get; internal set; }

    /// <summary>
    /// Creates an <see cref="HttpClient"/> for the coordinator's token-protected routes (base address set,
    /// <c>Authorization</c> header carrying the cluster token). The caller disposes it.
    /// </summary>
    public HttpClient CreateCoordinatorClient(HttpMessageHandler? handler = null)
    {
        var client = handler is null ? new HttpClient(CreateHttpHandler()) : new HttpClient(handler, disposeHandler: false);
        client.BaseAddress = Coordinator;
        client.DefaultRequestHeaders.Authorization = _token.CreateAuthorizationHeader();
        return client;
    }

    /// <summary>
    /// A new HTTP handler for calling the coordinator, other partitions or the head node: under TLS it trusts exactly the
    /// cluster's authorities (never the machine's store) and checks that a server's certificate names the host dialled.
    /// The caller disposes it (or the <see cref="HttpClient"/> it is given to).
    /// </summary>
    public SocketsHttpHandler CreateHttpHandler() => Partitioned.Security.PinnedTrust.CreateHandler(_tls?.TrustedAuthorities);

    /// <summary>The value of an <c>Authorization</c> header for requests to other partitions' <c>/control</c> routes.</summary>
    public AuthenticationHeaderValue ControlAuthorization => _token.CreateAuthorizationHeader();
}
