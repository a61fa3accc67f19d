using Microsoft.Extensions.Logging;
using Partitioned.Coordination;
using Partitioned.Security;
using Partitioned.Server;
using Partitioned.Shared;

namespace Partitioned.Clustering;

/// <summary>Settings of a <see cref="Cluster{TRow, TResult}"/>. Checked when it starts; every problem is reported at once.</summary>
public sealed record ClusterOptions
{
    /// <summary>Where partitions run. Default <see cref="InProcessRunner"/>.</summary>
    public IPartitionRunner Runner { get; init; } = InProcessRunner.Instance;

    /// <summary>
    /// How many servers (replicas) every partition runs. Default 1. Each replica is built from the partition's rows and
    /// is an attempt line of its own: registered, health-checked and re-launched independently, placed apart from its
    /// siblings where the runner has nodes. A partition serves while one of its replicas serves.
    /// </summary>
    public int Replicas { get; init; } = 1;

    /// <summary>
    /// Autoscaling per partition: each partition starts with <see cref="Replicas"/> replicas and grows or shrinks between
    /// <see cref="AutoscaleOptions.MinReplicas"/> and <see cref="AutoscaleOptions.MaxReplicas"/> with its load. Default null:
    /// a fixed <see cref="Replicas"/>. See docs/autoscaling.md.
    /// </summary>
    public AutoscaleOptions? Autoscale { get; init; }

    /// <summary>Replica slots per partition: every replica a partition may run at once.</summary>
    internal int ReplicaSlots => Autoscale?.MaxReplicas ?? Replicas;

    /// <summary>Attempts per partition (per replica, with several) before it is failed for good; Spark's default is 4. Default 4.</summary>
    public int MaxAttempts { get; init; } = 4;

    /// <summary>Delay before the first re-launch of a failed attempt; doubles for each further one, up to 5 s. Default 100 ms.</summary>
    public TimeSpan RelaunchDelay { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>How long <c>StartAsync</c> waits for every partition to register. Default 60 s.</summary>
    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>How long <c>StopAsync</c> waits for partitions to drain and hand back results before abandoning them. Default 30 s.</summary>
    public TimeSpan StopTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How every partition server listens, registers and drains.</summary>
    public PartitionServerOptions Server { get; init; } = new();

    /// <summary>
    /// The IP address the coordinator listens on. Default <c>127.0.0.1</c>; partitions on other machines need an
    /// address they can reach: <c>0.0.0.0</c>, or this machine's address on the cluster network.
    /// </summary>
    public string CoordinatorBindAddress { get; init; } = "127.0.0.1";

    /// <summary>
    /// The host name or address partitions dial to reach the coordinator when <see cref="CoordinatorBindAddress"/> is a
    /// wildcard. Default: this machine's name (which must then resolve, on every node, to an address of this machine).
    /// </summary>
    public string? CoordinatorAdvertisedHost { get; init; }

    /// <summary>The coordinator's port; 0 (default) for any free port.</summary>
    public int CoordinatorPort { get; init; }

    /// <summary>
    /// Read-only keys the cluster issues to clients in other processes (<c>Partitioned.Client</c>): a key lists the
    /// partitions, follows the directory and reaches the partitions' <c>/app</c> and <c>/serve</c> routes, but cannot
    /// register, report failures, shut anything down or use worker routes. Default none. See docs/remote-clients.md.
    /// </summary>
    public IReadOnlyList<ClientKey> ClientKeys { get; init; } = [];

    /// <summary>
    /// The port of the coordinator's HTTP/2-only listener for the gRPC directory service; 0 (the default) lets the OS
    /// choose, -1 turns it off. Clients find it through <c>GET /v1/client</c>. Cleartext only: under TLS, gRPC shares
    /// the coordinator's port through ALPN (and -1 still turns it off).
    /// </summary>
    public int CoordinatorGrpcPort { get; init; }

    /// <summary>
    /// How the cluster's connections are secured: every listener (coordinator, partitions, serving front) and every caller
    /// (driver, gateway, partitions, remote clients). Default null: <see cref="TransportSecurity.Automatic"/> (TLS with an
    /// in-memory authority made for the cluster) when the runner's partitions run on other machines
    /// (<see cref="IPartitionRunner.PartitionsRunElsewhere"/>), <see cref="TransportSecurity.Cleartext"/> when everything
    /// stays on this machine. <see cref="Cluster{TRow, TResult}.Transport"/> says what was chosen. See docs/security.md.
    /// </summary>
    public TransportSecurity? Transport { get; init; }

    /// <summary>
    /// Lets a cluster whose partitions run on other machines use <see cref="TransportSecurity.Cleartext"/>: the token,
    /// client keys and request bodies then cross the network readable by anyone on it. Default false: such a cluster
    /// refuses cleartext at start. Set it only for a network you trust entirely.
    /// </summary>
    public bool AllowCleartextAcrossHosts { get; init; }

    /// <summary>
    /// The most gRPC Watch streams (remote clients following the directory) the coordinator serves at once, over every
    /// credential; beyond it a Watch gets <c>RESOURCE_EXHAUSTED</c>. Default 1024.
    /// </summary>
    public int CoordinatorMaxWatchStreams { get; init; } = 1024;

    /// <summary>The most gRPC Watch streams one credential (the cluster token, or one client key) holds at once. Default 256.</summary>
    public int CoordinatorMaxWatchStreamsPerCredential { get; init; } = 256;

    /// <summary>
    /// How many directory changes a Watch stream may fall behind before it is ended with <c>ABORTED</c> (the remote client
    /// then resumes after the last version it applied). Default 256.
    /// </summary>
    public int CoordinatorMaxWatchBacklog { get; init; } = 256;

    /// <summary>How often the coordinator health-checks partitions. Default 1 s.</summary>
    public TimeSpan HealthCheckInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How long one health check may take before it counts as failed. Default null: derived from each replica's observed
    /// round trips (smoothed round trip plus four times its variation, at least 400 ms, at most 5 s, 1.25 times longer
    /// after each failure in a row), so a node that goes silent is declared lost within about 2.5 s with the other
    /// defaults, while a busy one gets the time its round trips show it needs. A fixed value replaces the derivation.
    /// </summary>
    public TimeSpan? HealthCheckTimeout { get; init; }

    /// <summary>
    /// Failed health checks in a row after which a partition replica is marked lost. Default 3. The first failed check
    /// already marks it suspected: routers send it nothing new while a sibling serves.
    /// </summary>
    public int UnhealthyThreshold { get; init; } = 3;

    /// <summary>
    /// How partition clients (<c>GetClient</c>) and scatter-gather choose among a partition's replicas: one of
    /// <c>LoadBalancingPolicies</c>. Default round robin; <c>Adaptive</c> ranks replicas by how they answer.
    /// </summary>
    public string LoadBalancing { get; init; } = Partitioned.Routing.LoadBalancingPolicies.RoundRobin;

    /// <summary>
    /// Hedged requests through partition clients and scatter-gather: an idempotent request (GET, HEAD, PUT, DELETE,
    /// OPTIONS with a body that can be sent again) not answered within the partition's observed 95th percentile (or
    /// <c>HedgingOptions.Delay</c>) also goes to another replica of the partition; the first answer wins; at most
    /// <c>HedgingOptions.Budget</c> of requests (default 5%) are hedged. Default null: no hedging.
    /// </summary>
    public Partitioned.Routing.HedgingOptions? Hedging { get; init; }

    /// <summary>Timeout of requests through <c>GetClient</c> clients. Default 100 s.</summary>
    public TimeSpan ClientTimeout { get; init; } = TimeSpan.FromSeconds(100);

    /// <summary>
    /// Modules a driver-side component adds to the cluster's coordinator (the serving layer's head-node routes): the way
    /// it offers partitions something to call. The cluster adds its own worker routes (<see cref="WorkerRoutes{TRow, TResult}"/>).
    /// </summary>
    internal IReadOnlyList<ICoordinatorModule> CoordinatorModules { get; init; } = [];

    /// <summary>Where the cluster, its coordinator and in-process partitions log. Default nowhere.</summary>
    public ILoggerFactory? LoggerFactory { get; init; }

    /// <summary>The clock. Default <see cref="TimeProvider.System"/>.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <param name="transport">The transport the cluster resolved (<see cref="Transport"/>, or its default).</param>
    internal void Validate(TransportSecurity? transport = null)
    {
        var validation = new OptionsValidation(nameof(ClusterOptions));
        validation.Require(Runner is not null, $"{nameof(Runner)} is required (for example InProcessRunner.Instance).");
        validation.Require(Replicas is >= 1 and <= 64, $"{nameof(Replicas)} must be between 1 and 64 (was {Replicas}).");
        validation.Require(Replicas == 1 || Runner is not ExternalWorkersRunner, $"{nameof(Replicas)} must be 1 with {nameof(ExternalWorkersRunner)} (was {Replicas}): an engine that launches its own workers starts one worker per partition.");
        validation.Require(MaxAttempts >= 1, $"{nameof(MaxAttempts)} must be at least 1 (was {MaxAttempts}).");
        validation.Require(RelaunchDelay >= TimeSpan.Zero, $"{nameof(RelaunchDelay)} must not be negative (was {RelaunchDelay}).");
        validation.Require(StartTimeout > TimeSpan.Zero, $"{nameof(StartTimeout)} must be positive (was {StartTimeout}).");
        validation.Require(StopTimeout > TimeSpan.Zero, $"{nameof(StopTimeout)} must be positive (was {StopTimeout}).");
        validation.RequireBindAddress(nameof(CoordinatorBindAddress), CoordinatorBindAddress);
        validation.RequirePort(nameof(CoordinatorPort), CoordinatorPort);
        validation.Require(CoordinatorGrpcPort == -1 || CoordinatorGrpcPort is >= 0 and <= 65535, $"{nameof(CoordinatorGrpcPort)} must be -1 (off), 0 (any free port) or a port up to 65535 (was {CoordinatorGrpcPort}).");
        validation.Require(ClientKeys is not null && ClientKeys.All(static k => k is not null), $"{nameof(ClientKeys)} must not be null or hold null keys.");
        validation.Require(HealthCheckInterval > TimeSpan.Zero, $"{nameof(HealthCheckInterval)} must be positive (was {HealthCheckInterval}).");
        validation.Require(HealthCheckTimeout is null || HealthCheckTimeout > TimeSpan.Zero, $"{nameof(HealthCheckTimeout)} must be positive, or null to derive it from round trips (was {HealthCheckTimeout}).");
        validation.Require(UnhealthyThreshold >= 1, $"{nameof(UnhealthyThreshold)} must be at least 1 (was {UnhealthyThreshold}).");
        validation.Require(CoordinatorMaxWatchStreams >= 1, $"{nameof(CoordinatorMaxWatchStreams)} must be at least 1 (was {CoordinatorMaxWatchStreams}).");
        validation.Require(CoordinatorMaxWatchStreamsPerCredential >= 1, $"{nameof(CoordinatorMaxWatchStreamsPerCredential)} must be at least 1 (was {CoordinatorMaxWatchStreamsPerCredential}).");
        validation.Require(CoordinatorMaxWatchBacklog >= 1, $"{nameof(CoordinatorMaxWatchBacklog)} must be at least 1 (was {CoordinatorMaxWatchBacklog}).");
        validation.Require(CoordinatorModules is not null, $"{nameof(CoordinatorModules)} must not be null (use an empty list).");
        validation.Require(Partitioned.Routing.LoadBalancingPolicies.All.Contains(LoadBalancing), $"{nameof(LoadBalancing)} must be one of {string.Join(", ", Partitioned.Routing.LoadBalancingPolicies.All)} (was '{LoadBalancing}').");
        foreach (var problem in Hedging?.Problems(nameof(Hedging)) ?? [])
        {
            validation.Require(false, problem);
        }

        validation.Require(ClientTimeout > TimeSpan.Zero, $"{nameof(ClientTimeout)} must be positive (was {ClientTimeout}).");
        validation.Require(CoordinatorAdvertisedHost is null || Uri.CheckHostName(CoordinatorAdvertisedHost) != UriHostNameType.Unknown, $"{nameof(CoordinatorAdvertisedHost)} must be a host name or an IP address (was '{CoordinatorAdvertisedHost}').");
        if (Server is null)
        {
            validation.Require(false, $"{nameof(Server)} is required.");
        }
        else
        {
            validation.Add(Server.Validate().Select(static failure => $"{nameof(Server)}.{failure}"));
        }

        if (Autoscale is not null)
        {
            validation.Add(Autoscale.Validate(this).Select(static failure => $"{nameof(Autoscale)}.{failure}"));
        }

        if (Runner?.PartitionsRunElsewhere == true)
        {
            validation.Add(NetworkReach.Problems(this));
        }

        validation.Add(TransportChecks.Problems(this, transport ?? Transport));

        validation.ThrowIfInvalid();
    }
}
