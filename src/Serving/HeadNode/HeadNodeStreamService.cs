using Grpc.Core;
using V1 = Partitioned.Protocol.V1;

namespace Partitioned.Serving;

/// <summary>The gRPC face of the head node (<c>protos/partitioned/v1/headnode.proto</c>): one stream per partition attempt and service.</summary>
internal sealed class HeadNodeStreamService(HeadNodeIngress ingress) : V1.HeadNode.HeadNodeBase
{
    public override Task Serve(IAsyncStreamReader<V1.PartitionMessage> requestStream, IServerStreamWriter<V1.IngressMessage> responseStream, ServerCallContext context) =>
        ingress.ServeStreamAsync(requestStream, responseStream, context);
}
