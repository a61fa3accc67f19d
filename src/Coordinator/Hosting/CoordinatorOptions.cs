using Microsoft.Extensions.Logging;
using Partitioned.Security;
using Partitioned.Shared;

namespace Partitioned.Coordination;

/// <summary>Settings of a <see cref="Coordinator"/>. Checked when it starts; every problem is reported at once.</summary>
public sealed class CoordinatorOptions
{
    /// <summary>How many partitions the cluster has. Required.</summary>
    public required int PartitionCount { get; init; }

    /// <summary>How many replicas (servers) every partition runs. Default 1.</summary>
    public int Replicas { get; init; } = 1;

    /// <summary>
    /// With autoscaling, how many of the <see cref="Replicas"/> slots start in use; the rest start retired until the
    /// driver scales a partition up. Null: all of them.
    /// </summary>
    internal int? ActiveReplicas { get; init; }

    /// <summary>The cluster's secret; every <c>/v1</c> route requires it. Required.</summary>
    public required ClusterToken Token { get; init; }

    /// <summary>
    /// Read-only keys for clients in other processes (see <see cref="ClientKey"/>). Default none: only the cluster token
    /// opens the coordinator.
    /// </summary>
    public IReadOnlyList<ClientKey> ClientKeys { get; init; } = [];

    /// <summary>
    /// The port of the coordinator's HTTP/2-only listener, which serves the gRPC directory service (cleartext HTTP/2
    /// needs a listener of its own: Kestrel does not negotiate h2c on a listener that also speaks HTTP/1.1). 0 (the
    /// default) lets the OS choose; <c>GET /v1/client</c> says which. -1 turns the gRPC listener off. Cleartext only:
    /// under TLS (<see cref="Transport"/>) gRPC is served on <see cref="Port"/>, and -1 still turns it off.
    /// </summary>
    public int GrpcPort { get; init; }

    /// <summary>
    /// How connections are secured. Default <see cref="TransportSecurity.Cleartext"/>. Under TLS the coordinator serves
    /// HTTP/1.1 and HTTP/2 (gRPC) on its one port through ALPN (<see cref="GrpcPort"/> then only turns gRPC off with -1),
    /// health checks trust only the transport's authorities, and in automatic mode partitions get their certificates
    /// from <c>POST /v1/certificates</c>.
    /// </summary>
    public TransportSecurity Transport { get; init; } = TransportSecurity.Cleartext;

    /// <summary>
    /// The most gRPC Watch streams the coordinator serves at once, over every credential. Default 1024. A Watch beyond it
    /// is refused with <c>RESOURCE_EXHAUSTED</c> (the remote client retries with backoff).
    /// </summary>
    public int MaxWatchStreams { get; init; } = 1024;

    /// <summary>
    /// The most gRPC Watch streams one credential (the cluster token, or one client key) holds at once. Default 256. A
    /// remote client holds one; beyond the limit a Watch is refused with <c>RESOURCE_EXHAUSTED</c>.
    /// </summary>
    public int MaxWatchStreamsPerCredential { get; init; } = 256;

    /// <summary>
    /// How many directory changes a Watch stream may fall behind (changes waiting to be sent because the watcher reads
    /// them too slowly) before it is ended with <c>ABORTED</c>, telling the watcher to resume after the last version it
    /// applied; the remote client does so at once. Default 256. Bounds what each stream holds.
    /// </summary>
    public int MaxWatchBacklog { get; init; } = 256;

    /// <summary>The IP address to listen on. Default <c>127.0.0.1</c>; use <c>0.0.0.0</c> for partitions on other machines.</summary>
    public string BindAddress { get; init; } = "127.0.0.1";

    /// <summary>The port to listen on; 0 (the default) lets the OS choose a free one.</summary>
    public int Port { get; init; }

    /// <summary>The host name partitions dial when <see cref="BindAddress"/> is a wildcard. Default: this machine's name.</summary>
    public string? AdvertisedHost { get; init; }

    /// <summary>How often serving partitions are health-checked. Default 1 s.</summary>
    public TimeSpan HealthCheckInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How long one health check may take; null (the default) derives it from each replica's observed round trips
    /// (smoothed round trip plus four times its variation, at least 400 ms, at most 5 s, longer after each failure).
    /// </summary>
    public TimeSpan? HealthCheckTimeout { get; init; }

    /// <summary>Consecutive failed health checks after which a partition is marked lost. Default 3.</summary>
    public int UnhealthyThreshold { get; init; } = 3;

    /// <summary>
    /// The cluster run's id. When set, a health check counts only if the answer names this cluster (and the partition
    /// and attempt checked): another server that took over a partition's old port is not that partition.
    /// </summary>
    public string? ClusterId { get; init; }

    /// <summary>Where the coordinator logs. Default: nowhere.</summary>
    public ILoggerFactory? LoggerFactory { get; init; }

    /// <summary>The clock; tests pass their own. Default <see cref="TimeProvider.System"/>.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>
    /// Modules added to the coordinator's own (<see cref="CoordinatorCore"/>) by the driver-side components that talk to
    /// partitions through it (the cluster's worker routes, the head node's routes). Their handlers can take the
    /// <see cref="PartitionDirectory"/> as a parameter: it is registered as a service.
    /// </summary>
    internal IReadOnlyList<ICoordinatorModule> Modules { get; init; } = [];

    internal void Validate()
    {
        var validation = new OptionsValidation(nameof(CoordinatorOptions));
        validation.Require(PartitionCount > 0, $"{nameof(PartitionCount)} must be at least 1 (was {PartitionCount}).");
        validation.Require(Replicas >= 1, $"{nameof(Replicas)} must be at least 1 (was {Replicas}).");
        validation.Require(Token is not null, $"{nameof(Token)} is required: pass ClusterToken.Create().");
        validation.RequireBindAddress(nameof(BindAddress), BindAddress);
        validation.RequirePort(nameof(Port), Port);
        validation.Require(GrpcPort == -1 || GrpcPort is >= 0 and <= 65535, $"{nameof(GrpcPort)} must be -1 (off), 0 (any free port) or a port up to 65535 (was {GrpcPort}).");
        validation.Require(ClientKeys is not null && ClientKeys.All(static k => k is not null), $"{nameof(ClientKeys)} must not be null or hold null keys.");
        validation.Require(HealthCheckInterval > TimeSpan.Zero, $"{nameof(HealthCheckInterval)} must be positive (was {HealthCheckInterval}).");
        validation.Require(HealthCheckTimeout is null || HealthCheckTimeout > TimeSpan.Zero, $"{nameof(HealthCheckTimeout)} must be positive, or null to derive it from round trips (was {HealthCheckTimeout}).");
        validation.Require(UnhealthyThreshold >= 1, $"{nameof(UnhealthyThreshold)} must be at least 1 (was {UnhealthyThreshold}).");
        validation.Require(Modules is not null, $"{nameof(Modules)} must not be null.");
        validation.Require(Transport is not null, $"{nameof(Transport)} must not be null (use TransportSecurity.Cleartext).");
        validation.Require(MaxWatchStreams >= 1, $"{nameof(MaxWatchStreams)} must be at least 1 (was {MaxWatchStreams}).");
        validation.Require(MaxWatchStreamsPerCredential >= 1, $"{nameof(MaxWatchStreamsPerCredential)} must be at least 1 (was {MaxWatchStreamsPerCredential}).");
        validation.Require(MaxWatchBacklog >= 1, $"{nameof(MaxWatchBacklog)} must be at least 1 (was {MaxWatchBacklog}).");
        validation.ThrowIfInvalid();
    }
}
