namespace Partitioned.Serving;

/// <summary>The runtime of offline (batch) runs: no queue, no deadline, no other partitions to forward to.</summary>
internal sealed class OfflineRuntime<TRequest, TReply> : IServiceRuntime<TRequest, TReply>
{
    public Task ForwardAsync(ServiceRequest<TRequest, TReply> request, int partition, TRequest body, CancellationToken cancellationToken) =>
        throw new NotSupportedException("Forwarding a request to another partition needs a running cluster; offline runs have none.");

    public void CountReply(ServiceRequest<TRequest, TReply> request, int status)
    {
    }

    public void CountDuplicate()
    {
    }
}
