namespace Partitioned.Serving;

/// <summary>Adapts a batch function (requests in, replies in the same order out) to a handler.</summary>
internal sealed class BatchDelegateHandler<TRequest, TReply>(Func<IReadOnlyList<TRequest>, IReadOnlyList<TReply>> handle) : IServiceHandler<TRequest, TReply>
{
    public ValueTask HandleAsync(IReadOnlyList<ServiceRequest<TRequest, TReply>> batch, CancellationToken cancellationToken)
    {
        var requests = new TRequest[batch.Count];
        for (var i = 0; i < requests.Length; i++)
        {
            requests[i] = batch[i].Request;
        }

        var replies = handle(requests);
        if (replies is null || replies.Count != batch.Count)
        {
            throw new InvalidOperationException($"The batch handler returned {replies?.Count ?? 0} replies for {batch.Count} requests; it must return one reply per request, in order.");
        }

        for (var i = 0; i < batch.Count; i++)
        {
            batch[i].TryReply(replies[i]);
        }

        return ValueTask.CompletedTask;
    }
}
