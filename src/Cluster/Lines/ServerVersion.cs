using Partitioned.Server;

namespace Partitioned.Clustering;

/// <summary>A server definition and its version number (0 for the one the cluster started with; each rolling update adds one).</summary>
internal sealed record ServerVersion<TRow, TResult>(PartitionServerDefinition<TRow, TResult> Server, int Number);
