namespace Partitioned.Serving;

/// <summary>A reply on the wire between serving nodes: the request id, the HTTP status and the raw JSON body (a reply or a problem).</summary>
internal readonly record struct WireReply(string Id, int Status, ReadOnlyMemory<byte> Body);
