using Microsoft.Extensions.Logging;

namespace Partitioned.Server;

/// <summary>Who a partition server is: its partition, attempt and cluster, and where it logs.</summary>
public sealed class PartitionContext
{
    internal PartitionContext(PartitionLaunch launch, ILoggerFactory loggerFactory, ILogger logger, CancellationToken stopping)
    {
        ClusterId = launch.ClusterId;
        Partition = launch.Partition;
        Attempt = launch.Attempt;
        PartitionCount = launch.PartitionCount;
        LoggerFactory = loggerFactory;
        Logger = logger;
        Stopping = stopping;
    }

    /// <summary>The cluster run this partition belongs to.</summary>
    public string ClusterId { get; }

    /// <summary>The partition index, from 0 to <see cref="PartitionCount"/> minus 1.</summary>
    public int Partition { get; }

    /// <summary>The attempt number: 0 for the first launch, one more for each re-launch.</summary>
    public int Attempt { get; }

    /// <summary>How many partitions the cluster has.</summary>
    public int PartitionCount { get; }

    /// <summary>A logger whose scope names the partition and attempt.</summary>
    public ILogger Logger { get; }

    /// <summary>The factory for further loggers.</summary>
    public ILoggerFactory LoggerFactory { get; }

    /// <summary>Fires when the server starts stopping (shutdown requested or the attempt abandoned).</summary>
    public CancellationToken Stopping { get; }
}
