namespace Partitioned.Routing;

/// <summary>
/// Client-side load balancing: each request goes to the partition replica the balancer picks, through the one resend
/// loop (<see cref="ResendLoop"/>): a connection that cannot be made is tried on another replica; so is a request whose
/// replica failed, was lost or went silent before answering, when the caller said every request is idempotent
/// (<c>idempotent</c>) or the replica announced the <c>serve/{name}</c> service it calls as idempotent. Anything else
/// is the caller's to handle, as an <see cref="HttpRequestException"/> that says what happened.
/// </summary>
internal sealed class BalancingHandler(PartitionBalancer balancer, HttpMessageHandler inner, bool idempotent = false) : DelegatingHandler(inner)
{
    // Observed answers per service, for the per-try timeout of idempotent requests. Keys are services that answered.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, RoundTripEstimate> _latency = new(StringComparer.Ordinal);

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var path = request.RequestUri!.PathAndQuery.TrimStart('/');
        var service = ResendRules.ServiceOf(path);
        var latency = service is null ? null : _latency.GetValueOrDefault(service);
        try
        {
            var response = await balancer.Loop.SendAsync<Balanced, HttpResponseMessage>(new Balanced(this, request, path, service), -1, Timeout.InfiniteTimeSpan, latency, cancellationToken).ConfigureAwait(false);
            if (service is not null && latency is null && response.IsSuccessStatusCode)
            {
                _latency.TryAdd(service, new RoundTripEstimate());
            }

            return response;
        }
        catch (ResendFailedException ex)
        {
            throw new HttpRequestException(ex.Failure == TryFailure.NoReplica && ex.Tries == 0
                ? "No partition is live: every partition is lost, failed, stopped or not yet registered."
                : $"The request got no answer: {ex.Message}{(ex.MayHaveBeenProcessed ? " It may or may not have been processed." : string.Empty)}", ex.InnerException);
        }
    }

    private bool SendAsIdempotent(in ReplicaTarget target, HttpRequestMessage request, string? service) =>
        ResendRules.HasResendableBody(request) && (idempotent || (service is not null && balancer.AnnouncesIdempotent(target, service)));

    private readonly struct Balanced(BalancingHandler handler, HttpRequestMessage request, string path, string? service) : IResendable<HttpResponseMessage>
    {
        // A body that cannot be sent again was not read when no connection was made; the idempotent rule checks it otherwise.
        public bool CanResend => true;

        public void Resending(in ReplicaTarget target, TryFailure failure, Exception error)
        {
        }

        public bool IsIdempotent(in ReplicaTarget target) => handler.SendAsIdempotent(target, request, service);

        public Task<HttpResponseMessage> TryAsync(ReplicaTarget target, CancellationToken cancellationToken)
        {
            request.RequestUri = new Uri(target.Endpoint, path);
            return handler.AnswerAsync(request, target, cancellationToken);
        }

        public bool CanHedge => ResendRules.HasResendableBody(request);

        public Task<HttpResponseMessage> HedgeAsync(ReplicaTarget target, CancellationToken cancellationToken) =>
            handler.AnswerAsync(ResendRules.CopyFor(request, new Uri(target.Endpoint, path)), target, cancellationToken);
    }

    // Sends one try; the queue depth a serving answer reports feeds the adaptive policy.
    private async Task<HttpResponseMessage> AnswerAsync(HttpRequestMessage request, ReplicaTarget target, CancellationToken cancellationToken)
    {
        var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        balancer.Loop.Selector.ObserveQueue(target, response.Headers);
        return response;
    }
}
