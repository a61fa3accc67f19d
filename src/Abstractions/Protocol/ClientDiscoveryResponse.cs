namespace Partitioned.Protocol;

/// <summary>
/// Reply of <c>GET /v1/client</c> (cluster token or client key): what a client in another process needs to follow
/// the directory.
/// </summary>
/// <param name="DirectoryId">Identifies this coordinator's directory; versions compare only within one id.</param>
/// <param name="Version">The directory's current version.</param>
/// <param name="PartitionCount">How many partitions the cluster has.</param>
/// <param name="GrpcAddress">The coordinator's HTTP/2 listener serving the gRPC directory service, or null when it is off.</param>
public sealed record ClientDiscoveryResponse(string DirectoryId, long Version, int PartitionCount, string? GrpcAddress);
