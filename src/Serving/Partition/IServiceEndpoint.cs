using Microsoft.AspNetCore.Http;

namespace Partitioned.Serving;

/// <summary>One service hosted on a partition, as the serving feature drives it (the non-generic face of <see cref="ServiceHost{TRequest, TReply}"/>).</summary>
internal interface IServiceEndpoint
{
    string Name { get; }

    ServiceOptions Options { get; }

    /// <summary>
    /// How many more requests a head-node puller should take now: enough to keep every handler slot busy (and the
    /// next batch ready), no more, so work is spread over partitions and a dying attempt holds little.
    /// </summary>
    int PullRoom { get; }

    /// <summary>Completes when <see cref="PullRoom"/> may have grown (a request finished).</summary>
    Task WaitForPullRoomAsync(CancellationToken cancellationToken);

    /// <summary>Completes when a request finished and so freed room (arm it before reading <see cref="PullRoom"/>).</summary>
    Task RoomFreed { get; }

    /// <summary>Answers to head-node requests, waiting for the next pull.</summary>
    IngressOutbox Outbox { get; }

    void Start(ServingFeature feature);

    Task HandleHttpAsync(HttpContext context);

    Task HandleForwardedAsync(HttpContext context);

    /// <summary>Takes a batch pulled from the head node; a body that does not bind is answered 400 at once.</summary>
    void AcceptPulled(IReadOnlyList<WireRequest> batch, Uri replyTo);

    Task StopAsync(CancellationToken cancellationToken);
}
