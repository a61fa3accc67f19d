namespace Partitioned.Serving;

/// <summary>A request on the wire between serving nodes: its id, its raw JSON body, and the W3C <c>traceparent</c> of the trace it belongs to (optional).</summary>
internal readonly record struct WireRequest(string Id, ReadOnlyMemory<byte> Body, string? TraceParent = null);
