using System.Net.Http.Json;
using System.Text.Json;
using Partitioned.Protocol;
using Partitioned.Shared;

namespace Partitioned.Serving;

/// <summary>Hands requests to the same service on other partitions (the serving shuffle), finding them through the coordinator's host list.</summary>
internal sealed class PartitionRouter(HttpClient control, HttpClient coordinator)
{
    private volatile IReadOnlyDictionary<int, Uri> _hosts = new Dictionary<int, Uri>();

    public async Task ForwardAsync(int partition, string service, byte[] body, CancellationToken cancellationToken)
    {
        var endpoint = await ResolveAsync(partition, refresh: false, cancellationToken).ConfigureAwait(false);
        try
        {
            await PostAsync(endpoint, service, body, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException) when (!cancellationToken.IsCancellationRequested)
        {
            // The partition may have been re-launched elsewhere since the host list was read.
            var fresh = await ResolveAsync(partition, refresh: true, cancellationToken).ConfigureAwait(false);
            if (fresh == endpoint)
            {
                throw;
            }

            await PostAsync(fresh, service, body, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task PostAsync(Uri endpoint, string service, byte[] body, CancellationToken cancellationToken)
    {
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = ServingWire.JsonContentType;
        using var response = await control.PostAsync(SafeName.Append(endpoint, "control", "serving", service, "forward"), content, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            var detail = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            throw new HttpRequestException($"Partition at {endpoint} refused the forwarded request with {(int)response.StatusCode}: {detail}", null, response.StatusCode);
        }
    }

    private async Task<Uri> ResolveAsync(int partition, bool refresh, CancellationToken cancellationToken)
    {
        if (refresh || !_hosts.ContainsKey(partition))
        {
            var hosts = await coordinator.GetFromJsonAsync<HostsResponse>("v1/hosts", ProtocolJson.Options, cancellationToken).ConfigureAwait(false)
                ?? throw new JsonException("The coordinator's host list was empty.");
            _hosts = hosts.Hosts.ToDictionary(static h => h.Partition, static h => new Uri(h.Endpoint));
        }

        return _hosts.TryGetValue(partition, out var endpoint)
            ? endpoint
            : throw new HttpRequestException($"Partition {partition} has no live endpoint: it is not serving (or does not exist).");
    }
}
