using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;

namespace Partitioned.Coordination;

/// <summary>
/// The coordinator's own module: registration, failure reports, hosts, status and discovery
/// (<see cref="CoordinatorEndpoints"/>), attempt certificates (<see cref="CertificateEndpoints"/>) and the gRPC directory
/// service.
/// </summary>
internal sealed class CoordinatorCore(PartitionDirectory directory, CoordinatorOptions options, Func<Uri?> grpcAddress, ILogger logger) : ICoordinatorModule
{
    public void Map(CoordinatorRoutes routes)
    {
        CoordinatorEndpoints.Map(routes, directory, grpcAddress);
        CertificateEndpoints.Map(routes.Control, directory, options, logger);
        routes.Root.MapGrpcService<DirectoryGrpcService>();
    }
}
