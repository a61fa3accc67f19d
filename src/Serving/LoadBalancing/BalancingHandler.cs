using System.Net.Sockets;

#if PARTITIONED_CLIENT
namespace Partitioned.Client;
#else
namespace Partitioned.Serving;
#endif

/// <summary>
/// Client-side load balancing: each request goes to the partition the balancer picks. A connection that cannot
/// be made (nothing was sent) is retried once on another partition; anything else is the caller's to handle.
/// </summary>
internal sealed class BalancingHandler(PartitionBalancer balancer, HttpMessageHandler inner) : DelegatingHandler(inner)
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var path = request.RequestUri!.PathAndQuery.TrimStart('/');
        var excluded = -1;
        for (var attempt = 1; ; attempt++)
        {
            if (!balancer.TryPick(out var partition, out var endpoint, excluded))
            {
                throw new HttpRequestException("No partition is live: every partition is lost, failed, stopped or not yet registered.");
            }

            request.RequestUri = new Uri(endpoint, path);
            var reached = false;
            try
            {
                var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
                reached = true;
                return response;
            }
            catch (HttpRequestException ex) when (attempt == 1 && IsConnectFailure(ex) && !cancellationToken.IsCancellationRequested)
            {
                excluded = partition;
            }
            finally
            {
                balancer.Complete(partition, reached, endpoint);
            }
        }
    }

    /// <summary>True when no connection was made, so the request was certainly not sent and is safe to send elsewhere.</summary>
    internal static bool IsConnectFailure(HttpRequestException exception) =>
        exception.HttpRequestError == HttpRequestError.ConnectionError
        || exception.InnerException is SocketException { SocketErrorCode: SocketError.ConnectionRefused };
}
