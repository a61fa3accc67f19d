using Partitioned.Serving;

namespace Partitioned.Testing;

/// <summary>Misbehaves on request: throws, forgets to reply, replies twice, fails on purpose, or replies early and again later.</summary>
public sealed class FaultyHandler : IServiceHandler<FaultRequest, HelloReply>
{
    public async ValueTask HandleAsync(IReadOnlyList<ServiceRequest<FaultRequest, HelloReply>> batch, CancellationToken cancellationToken)
    {
        foreach (var request in batch)
        {
            switch (request.Request.Mode)
            {
                case "throw":
                    throw new InvalidOperationException("handler failed on purpose");
                case "forget":
                    break;
                case "twice":
                    request.TryReply(new HelloReply(1));
                    request.TryReply(new HelloReply(2));
                    break;
                case "fail":
                    request.TryFail(422, "the request asked to be refused");
                    break;
                case "early":
                    // Answer first, keep working, then (wrongly) answer again: the second answer is ignored.
                    request.TryReply(new HelloReply(10));
                    await Task.Delay(50, cancellationToken);
                    request.TryReply(new HelloReply(20));
                    break;
                default:
                    request.TryReply(new HelloReply(request.Request.Mode.Length));
                    break;
            }
        }
    }
}
