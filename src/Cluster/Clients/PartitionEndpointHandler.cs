#if PARTITIONED_CLIENT
namespace Partitioned.Client;
#else
using Partitioned.Coordination;

namespace Partitioned.Clustering;
#endif

/// <summary>
/// Sends a partition's requests to wherever the partition lives now: when a re-launched attempt registered a
/// new endpoint, the same <see cref="HttpClient"/> follows it. A partition without a live endpoint fails
/// fast with <see cref="PartitionUnavailableException"/> instead of a connection error.
/// </summary>
internal sealed class PartitionEndpointHandler(PartitionClients owner, PartitionDirectory directory, int partition, HttpMessageHandler inner, InFlightCounter inFlight) : DelegatingHandler(inner)
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (owner.IsDisposed)
        {
            throw new InvalidOperationException($"This client of partition {partition} belongs to a cluster run that has stopped; after StartAsync, call GetClient again.");
        }

        var entry = directory.Current[partition];
        if (entry.LiveEndpoint is not { } live)
        {
            throw new PartitionUnavailableException(partition, entry.State, entry.LastError);
        }

        if (request.RequestUri is { IsAbsoluteUri: true } uri && (uri.Port != live.Port || uri.Host != live.Host || uri.Scheme != live.Scheme))
        {
            request.RequestUri = new UriBuilder(uri) { Scheme = live.Scheme, Host = live.Host, Port = live.Port }.Uri;
        }

        inFlight.Enter();
        try
        {
            return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            inFlight.Leave();
        }
    }

    // The inner handler is shared by every partition's client and disposed by its owner.
    protected override void Dispose(bool disposing)
    {
    }
}
