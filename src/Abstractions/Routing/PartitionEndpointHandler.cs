using Partitioned.Directories;

namespace Partitioned.Routing;

/// <summary>
/// Sends a partition's requests to wherever the partition lives now: when a re-launched attempt registered a
/// new endpoint, the same <see cref="HttpClient"/> follows it. With several replicas, requests are spread over the
/// serving ones through the one resend loop (<see cref="ResendLoop"/>): a request that could not reach its replica is
/// sent to another, and so is an idempotent one (by method, with a body that can be sent again) whose replica broke,
/// was lost or went silent before answering. A partition without a live endpoint fails fast with
/// <see cref="PartitionUnavailableException"/> instead of a connection error.
/// </summary>
internal sealed class PartitionEndpointHandler(PartitionClients owner, IPartitionDirectory directory, int partition, HttpMessageHandler inner, InFlightCounter inFlight, ResendLoop loop) : DelegatingHandler(inner)
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
            return await loop.SendAsync<Routed, HttpResponseMessage>(new Routed(this, request), partition, Timeout.InfiniteTimeSpan, latency: null, cancellationToken).ConfigureAwait(false);
        }
        catch (ResendFailedException ex) when (ex.Failure == TryFailure.NoReplica && ex.Tries == 0)
        {
            var entry = directory.Current[partition];
            throw new PartitionUnavailableException(partition, entry.State, entry.LastError);
        }
        catch (ResendFailedException ex)
        {
            // The caller sees what a plain client would have (the transport's own exception), with what happened around it.
            throw ex.InnerException is HttpRequestException or OperationCanceledException && ex.Failure is TryFailure.NotSent or TryFailure.Broken
                ? ex.InnerException
                : new HttpRequestException($"Partition {partition}: {ex.Message}{(ex.MayHaveBeenProcessed ? " The request may or may not have been processed." : string.Empty)}", ex.InnerException);
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

    // Sends one try; the queue depth a serving answer reports feeds the adaptive policy.
    private async Task<HttpResponseMessage> AnswerAsync(HttpRequestMessage request, ReplicaTarget target, CancellationToken cancellationToken)
    {
        var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        loop.Selector.ObserveQueue(target, response.Headers);
        return response;
    }

    private readonly struct Routed(PartitionEndpointHandler handler, HttpRequestMessage request) : IResendable<HttpResponseMessage>
    {
        // Nothing was sent when no connection was made; beyond that, the idempotent rule decides.
        public bool CanResend => true;

        // An idempotent method may be sent again whatever happened, if its body can be.
        public void Resending(in ReplicaTarget target, TryFailure failure, Exception error)
        {
        }

        public bool IsIdempotent(in ReplicaTarget target) => ResendRules.IsIdempotentMethod(request.Method) && ResendRules.HasResendableBody(request);

        public Task<HttpResponseMessage> TryAsync(ReplicaTarget target, CancellationToken cancellationToken)
        {
            var live = target.Endpoint;
            if (request.RequestUri is { IsAbsoluteUri: true } uri && (uri.Port != live.Port || uri.Host != live.Host || uri.Scheme != live.Scheme))
            {
                request.RequestUri = new UriBuilder(uri) { Scheme = live.Scheme, Host = live.Host, Port = live.Port }.Uri;
            }

            return handler.AnswerAsync(request, target, cancellationToken);
        }

        // Hedged only with a body that can be sent twice, to an idempotent method.
        public bool CanHedge => IsIdempotent(default);

        public Task<HttpResponseMessage> HedgeAsync(ReplicaTarget target, CancellationToken cancellationToken)
        {
            var live = target.Endpoint;
            var uri = request.RequestUri is { IsAbsoluteUri: true } original ? new UriBuilder(original) { Scheme = live.Scheme, Host = live.Host, Port = live.Port }.Uri : live;
            return handler.AnswerAsync(ResendRules.CopyFor(request, uri), target, cancellationToken);
        }
    }
}
