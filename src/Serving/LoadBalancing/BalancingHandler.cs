using Partitioned.Shared;

#if PARTITIONED_CLIENT
namespace Partitioned.Client;
#else
namespace Partitioned.Serving;
#endif

/// <summary>
/// Client-side load balancing: each request goes to the partition replica the balancer picks. A connection that
/// cannot be made (nothing was sent) is retried once on another replica; so is a request whose replica failed before
/// answering, when the caller said every request is idempotent (<c>idempotent</c>) or the replica announced the
/// <c>serve/{name}</c> service it calls as idempotent. Anything else is the caller's to handle.
/// </summary>
internal sealed class BalancingHandler(PartitionBalancer balancer, HttpMessageHandler inner, bool idempotent = false) : DelegatingHandler(inner)
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var path = request.RequestUri!.PathAndQuery.TrimStart('/');
        Uri? failed = null;
        for (var attempt = 1; ; attempt++)
        {
            if (!balancer.TryPick(excluding: -1, failed, out var host))
            {
                throw new HttpRequestException(failed is null
                    ? "No partition is live: every partition is lost, failed, stopped or not yet registered."
                    : $"The partition replica at {failed} failed, and no other replica is live to send the request to.");
            }

            request.RequestUri = new Uri(host.Endpoint, path);
            var reached = false;
            try
            {
                var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
                reached = true;
                return response;
            }
            catch (HttpRequestException ex) when (attempt == 1 && (ResendRules.IsConnectFailure(ex) || (IsIdempotent(host, path) && ResendRules.HasResendableBody(request))) && !cancellationToken.IsCancellationRequested)
            {
                failed = host.Endpoint;
            }
            finally
            {
                balancer.Complete(host, reached);
            }
        }
    }

    // Only asked when a request failed: the service name is not parsed on the way out.
    private bool IsIdempotent(PartitionBalancer.Host host, string path) =>
        idempotent || (ResendRules.ServiceOf(path) is { } service && balancer.AnnouncesIdempotent(host, service));
}
