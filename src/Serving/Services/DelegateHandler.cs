namespace Partitioned.Serving;

/// <summary>Adapts a one-request-one-reply function to a handler.</summary>
internal sealed class DelegateHandler<TRequest, TReply>(Func<TRequest, CancellationToken, ValueTask<TReply>> handle) : IServiceHandler<TRequest, TReply>
{
    public ValueTask HandleAsync(IReadOnlyList<ServiceRequest<TRequest, TReply>> batch, CancellationToken cancellationToken)
    {
        // The common case, one request whose reply is ready synchronously, allocates no state machine.
        if (batch.Count == 1)
        {
            var pending = handle(batch[0].Request, cancellationToken);
            if (pending.IsCompletedSuccessfully)
            {
                batch[0].TryReply(pending.Result);
                return ValueTask.CompletedTask;
            }

            return AwaitOneAsync(batch[0], pending);
        }

        return HandleAllAsync(batch, cancellationToken);
    }

    private static async ValueTask AwaitOneAsync(ServiceRequest<TRequest, TReply> request, ValueTask<TReply> pending) =>
        request.TryReply(await pending.ConfigureAwait(false));

    private async ValueTask HandleAllAsync(IReadOnlyList<ServiceRequest<TRequest, TReply>> batch, CancellationToken cancellationToken)
    {
        foreach (var request in batch)
        {
            request.TryReply(await handle(request.Request, cancellationToken).ConfigureAwait(false));
        }
    }
}
