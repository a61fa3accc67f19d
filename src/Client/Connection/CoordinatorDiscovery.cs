using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace Partitioned.Client;

/// <summary>
/// Asks the coordinator's JSON listener (<c>GET /v1/client</c>) where its gRPC listener is. Asked again on every
/// reconnect, so a coordinator that restarted on the same address but a new gRPC port is found again.
/// </summary>
internal sealed class CoordinatorDiscovery(Uri coordinator, string key, HttpMessageHandler handler) : IDisposable
{
    private readonly HttpClient _http = CreateHttp(coordinator, key, handler);

    /// <summary>What the coordinator answered; throws <see cref="ClusterGoneException"/> when it refused the key.</summary>
    public async Task<ClientDiscovery> DiscoverAsync(CancellationToken cancellationToken)
    {
        using var response = await _http.GetAsync("v1/client", cancellationToken).ConfigureAwait(false);
        if (response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
        {
            throw new ClusterGoneException($"The coordinator at {coordinator} refused the client key ({(int)response.StatusCode} {response.ReasonPhrase}): it is not a key of the cluster running there.");
        }

        if (!response.IsSuccessStatusCode)
        {
            throw new HttpRequestException($"GET /v1/client on the coordinator at {coordinator} answered {(int)response.StatusCode} {response.ReasonPhrase}.", null, response.StatusCode);
        }

        var discovery = await response.Content.ReadFromJsonAsync<ClientDiscovery>(JsonSerializerOptions.Web, cancellationToken).ConfigureAwait(false);
        if (discovery is null || string.IsNullOrEmpty(discovery.DirectoryId) || discovery.PartitionCount < 1)
        {
            throw new HttpRequestException($"The coordinator at {coordinator} answered GET /v1/client with an incomplete reply.");
        }

        return discovery;
    }

    public void Dispose() => _http.Dispose();

    private static HttpClient CreateHttp(Uri coordinator, string key, HttpMessageHandler handler)
    {
        var http = new HttpClient(handler, disposeHandler: false)
        {
            BaseAddress = coordinator.AbsolutePath.EndsWith('/') ? coordinator : new Uri(coordinator + "/"),
            Timeout = TimeSpan.FromSeconds(10),
        };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return http;
    }
}

/// <summary>The reply of <c>GET /v1/client</c>.</summary>
internal sealed record ClientDiscovery(string DirectoryId, long Version, int PartitionCount, string? GrpcAddress);
