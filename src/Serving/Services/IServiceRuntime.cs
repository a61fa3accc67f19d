namespace Partitioned.Serving;

/// <summary>What a request needs from the service that hosts it.</summary>
internal interface IServiceRuntime<TRequest, TReply>
{
    Task ForwardAsync(ServiceRequest<TRequest, TReply> request, int partition, TRequest body, CancellationToken cancellationToken);

    void CountReply(ServiceRequest<TRequest, TReply> request, int status);

    void CountDuplicate();
}
