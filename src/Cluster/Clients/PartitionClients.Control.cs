using Partitioned.Coordination;

namespace Partitioned.Clustering;

/// <summary>The driver's part of the clients: the control client, which carries the cluster token to shut partitions down.</summary>
internal sealed partial class PartitionClients
{
    private static readonly TimeSpan s_controlTimeout = TimeSpan.FromSeconds(5);

    private readonly HttpClient? _control;

    public PartitionClients(PartitionDirectory directory, ClusterToken token, TimeSpan timeout, TransportSecurity transport)
        : this(directory, timeout, transport.TrustedAuthorities)
    {
        _control = new HttpClient(_pool, disposeHandler: false) { Timeout = s_controlTimeout };
        _control.DefaultRequestHeaders.Authorization = token.CreateAuthorizationHeader();
    }

    /// <summary>Asks a partition server to shut down. Returns null when it accepted, otherwise why not.</summary>
    public async Task<string?> RequestShutdownAsync(Uri endpoint, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await _control!.PostAsync(new Uri(endpoint, "control/shutdown"), content: null, cancellationToken).ConfigureAwait(false);
            return response.IsSuccessStatusCode ? null : $"shutdown answered {(int)response.StatusCode} {response.ReasonPhrase}";
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            return $"shutdown request failed: {ex.Message}";
        }
    }

    partial void DisposeControl() => _control?.Dispose();
}
