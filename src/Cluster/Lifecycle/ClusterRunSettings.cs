using Microsoft.Extensions.Logging;
using Partitioned.Coordination;
using Partitioned.Datasets;
using Partitioned.Security;
using Partitioned.Server;

namespace Partitioned.Clustering;

/// <summary>The fixed facts of one cluster run, shared by its parts.</summary>
internal sealed record ClusterRunSettings<TRow, TResult>(
    string ClusterId,
    ClusterToken Token,
    PartitionedDataset<TRow> Dataset,
    PartitionServerDefinition<TRow, TResult> Server,
    ClusterOptions Options,
    ILoggerFactory LoggerFactory)
{
    /// <summary>What an attempt needs to start: where the coordinator listens, the token, and the server options.</summary>
    public PartitionLaunch LaunchFor(int partition, int attempt, Uri coordinator, int replica = 0) =>
        new(ClusterId, partition, attempt, Dataset.PartitionCount, coordinator, Token)
        {
            Server = Options.Server,
            Replica = replica,
            Tls = Transport.UsesTls ? new PartitionTls(Transport.TrustedAuthorities) { CertificateFiles = Transport.PartitionCertificates } : null,
        };

    /// <summary>How the run's connections are secured (the cluster's resolved <see cref="ClusterOptions.Transport"/>).</summary>
    public TransportSecurity Transport { get; init; } = TransportSecurity.Cleartext;

    /// <summary>Turns the result sets of a partition's replicas (in replica order) into the partition's one result set; null: the first replica's.</summary>
    public Func<int, IReadOnlyList<IReadOnlyList<TResult>>, IReadOnlyList<TResult>>? MergeReplicaResults { get; init; }
}
