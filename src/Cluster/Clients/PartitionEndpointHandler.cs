using Partitioned.Shared;
#if PARTITIONED_CLIENT
namespace Partitioned.Client;
#else
using Partitioned.Coordination;

namespace Partitioned.Clustering;
#endif

/// <summary>
/// Sends a partition's requests to wherever the partition lives now: when a re-launched attempt registered a
/// new endpoint, the same <see cref="HttpClient"/> follows it. With several replicas, requests are spread over the
/// serving ones, and a request that could not reach its replica (no connection, or an idempotent method that got no
/// answer) is sent once more to another replica. A partition without a live endpoint fails fast with
/// <see cref="PartitionUnavailableException"/> instead of a connection error.
/// </summary>
internal sealed class PartitionEndpointHandler(PartitionClients owner, PartitionDirectory directory, int partition, HttpMessageHandler inner, InFlightCounter inFlight, ReplicaPicker picker) : DelegatingHandler(inner)
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (owner.IsDisposed)
        {
            throw new InvalidOperationException($"This client of partition {partition} belongs to a cluster run that has stopped; after StartAsync, call GetClient again.");
        }

        inFlight.Enter();
        try
        {
            Uri? failed = null;
            while (true)
            {
                var entry = directory.Current[partition];
                if (picker.Pick(entry, failed) is not { } live)
                {
                    throw new PartitionUnavailableException(partition, entry.State, entry.LastError);
                }

                if (request.RequestUri is { IsAbsoluteUri: true } uri && (uri.Port != live.Port || uri.Host != live.Host || uri.Scheme != live.Scheme))
                {
                    request.RequestUri = new UriBuilder(uri) { Scheme = live.Scheme, Host = live.Host, Port = live.Port }.Uri;
                }

                try
                {
                    return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
                }
                catch (HttpRequestException ex) when (failed is null && entry.Replicas.Length > 1 && !cancellationToken.IsCancellationRequested && IsSafeToResend(request, ex))
                {
                    // This replica is gone or going: the same request goes to a sibling, once.
                    picker.Suspect(live);
                    failed = live;
                }
            }
        }
        finally
        {
            inFlight.Leave();
        }
    }

    // Nothing was sent when no connection was made; an idempotent method may be sent again whatever happened.
    private static bool IsSafeToResend(HttpRequestMessage request, HttpRequestException exception) =>
        ResendRules.IsConnectFailure(exception) || ResendRules.IsIdempotentMethod(request.Method) && ResendRules.HasResendableBody(request);

    // The inner handler is shared by every partition's client and disposed by its owner.
    protected override void Dispose(bool disposing)
    {
    }
}
