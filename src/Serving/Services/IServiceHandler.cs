namespace Partitioned.Serving;

/// <summary>
/// Handles batches of requests of one service. Reply to each request with <see cref="ServiceRequest{TRequest, TReply}.TryReply"/>
/// (from here or from any code the request is handed to, before the deadline), fail it with
/// <see cref="ServiceRequest{TRequest, TReply}.TryFail"/>, or pass it to another partition with
/// <see cref="ServiceRequest{TRequest, TReply}.ForwardAsync(int, CancellationToken)"/>.
/// </summary>
/// <remarks>
/// A request neither replied to nor forwarded when <see cref="HandleAsync"/> completes is answered 500
/// ("the handler returned without replying"); an exception answers every unreplied request of the batch 500
/// with a correlation id. The partition keeps serving either way.
/// </remarks>
/// <typeparam name="TRequest">The parsed request type.</typeparam>
/// <typeparam name="TReply">The reply type.</typeparam>
public interface IServiceHandler<TRequest, TReply>
{
    /// <summary>Handles a batch (one request in continuous mode, up to the batch size in micro-batch mode).</summary>
    ValueTask HandleAsync(IReadOnlyList<ServiceRequest<TRequest, TReply>> batch, CancellationToken cancellationToken);
}
