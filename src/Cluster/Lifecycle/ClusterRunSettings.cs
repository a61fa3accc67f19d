using Microsoft.Extensions.Logging;
using Partitioned.Coordination;
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
    /// <summary>Set once the coordinator listens.</summary>
    public Uri? CoordinatorAddress { get; set; }

    public PartitionLaunch LaunchFor(int partition, int attempt) =>
        new(ClusterId, partition, attempt, Dataset.PartitionCount, CoordinatorAddress ?? throw new InvalidOperationException("The coordinator has not started."), Token)
        {
            Server = Options.Server,
        };
}
