using Partitioned.Serving;

namespace Partitioned.Testing;

/// <summary>Answers a request on its target partition: any other partition forwards it there (a serving shuffle).</summary>
public sealed class RouteHandler(Func<int> partition) : IServiceHandler<RouteRequest, RouteReply>
{
    public async ValueTask HandleAsync(IReadOnlyList<ServiceRequest<RouteRequest, RouteReply>> batch, CancellationToken cancellationToken)
    {
        foreach (var request in batch)
        {
            if (request.Request.Target == partition())
            {
                request.TryReply(new RouteReply(partition(), request.Request.Text));
            }
            else
            {
                await request.ForwardAsync(request.Request.Target, cancellationToken);
            }
        }
    }
}
