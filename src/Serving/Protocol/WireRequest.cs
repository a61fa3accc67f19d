namespace Partitioned.Serving;

/// <summary>A request on the wire between serving nodes: its id and its raw JSON body.</summary>
internal readonly record struct WireRequest(string Id, ReadOnlyMemory<byte> Body);
