using Microsoft.AspNetCore.Http;

namespace Partitioned.Serving;

/// <summary>
/// One service on one partition: its <see cref="ServiceProcessor{TRequest, TReply}"/> (queue, slots, batching,
/// deadlines, stop) and the ways requests come in to it: from clients over HTTP, forwarded by another partition, and
/// from the head node (by long poll or over its gRPC stream). Each request gets exactly one answer before its deadline,
/// sent back the way it came.
/// </summary>
internal sealed class ServiceHost<TRequest, TReply> : IServiceHost
{
    private readonly ServiceProcessor<TRequest, TReply> _processor;
    private readonly HttpWayIn<TRequest, TReply> _http;
    private readonly ForwardedWayIn<TRequest, TReply> _forwarded;
    private readonly HeadNodeWayIn<TRequest, TReply> _headNode;

    public ServiceHost(ServiceDefinition<TRequest, TReply> definition)
    {
        _processor = new ServiceProcessor<TRequest, TReply>(definition);
        _http = new HttpWayIn<TRequest, TReply>(_processor);
        _forwarded = new ForwardedWayIn<TRequest, TReply>(_processor);
        _headNode = new HeadNodeWayIn<TRequest, TReply>(_processor);
    }

    public string Name => _processor.Name;

    public ServiceOptions Options => _processor.Options;

    public IHeadNodeWayIn HeadNode => _headNode;

    public void Start(ServingFeature feature)
    {
        _headNode.Start(feature);
        _processor.Start(feature);
    }

    public Task ServeAsync(HttpContext context) => _http.HandleAsync(context);

    public Task AcceptForwardedAsync(HttpContext context) => _forwarded.HandleAsync(context);

    /// <summary>
    /// Waits for requests in the service's routes, queued and running to finish (they were accepted, so they are
    /// answered), then stops the processor. When <paramref name="cancellationToken"/> fires first (the drain time is up), requests still
    /// waiting are answered 503 and running handlers are cancelled, so stopping never hangs on a stuck handler.
    /// </summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        try
        {
            await _processor.WaitForIdleAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            // Answers still to come (handlers told to give up answer 503) go to the head node on their own.
            _headNode.Outbox.Close();
            await _processor.HaltAsync().ConfigureAwait(false);
        }
    }
}
