namespace Partitioned.Serving;

/// <summary>How partitions take requests from the head node's ingress and send the answers back.</summary>
public enum HeadNodeTransport
{
    /// <summary>
    /// One gRPC bidirectional stream per partition attempt and service (<c>protos/partitioned/v1/headnode.proto</c>):
    /// the partition grants credit as it has room, requests flow down against it, answers flow up as they are ready.
    /// The default: the faster transport (see docs/performance.md).
    /// </summary>
    GrpcStream,

    /// <summary>
    /// JSON long polls through the coordinator (<c>POST /v1/serving/{service}/pull</c>, answers riding on the next pull
    /// or posted to <c>/v1/serving/replies</c>): HTTP/1.1 only, for partitions that cannot speak HTTP/2.
    /// </summary>
    HttpLongPoll,
}
