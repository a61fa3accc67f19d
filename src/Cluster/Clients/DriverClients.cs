using Partitioned.Coordination;
using Partitioned.Routing;
using Partitioned.Security;

namespace Partitioned.Clustering;

/// <summary>
/// The driver's clients of one cluster run: the per-partition clients and scatter-gather every caller has
/// (<see cref="PartitionClients"/>), and the control client, which carries the cluster token to shut partitions down.
/// </summary>
internal sealed class DriverClients : PartitionClients
{
    private static readonly TimeSpan s_controlTimeout = TimeSpan.FromSeconds(5);

    private readonly HttpClient _control;

    public DriverClients(PartitionDirectory directory, ClusterToken token, ClusterOptions options, TransportSecurity transport)
        : base(directory, options.ClientTimeout, transport.TrustedAuthorities, options.LoadBalancing, options.Hedging)
    {
        _control = new HttpClient(Pool, disposeHandler: false) { Timeout = s_controlTimeout };
        _control.DefaultRequestHeaders.Authorization = token.CreateAuthorizationHeader();
    }

    /// <summary>Asks a partition server to shut down. Returns null when it accepted, otherwise why not.</summary>
    public async Task<string?> RequestShutdownAsync(Uri endpoint, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await _control.PostAsync(new Uri(endpoint, "control/shutdown"), content: null, cancellationToken).ConfigureAwait(false);
            return response.IsSuccessStatusCode ? null : $"shutdown answered {(int)response.StatusCode} {response.ReasonPhrase}";
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return $"shutdown request failed: {ex.Message}";
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _control.Dispose();
        }

        base.Dispose(disposing);
    }
}
