using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Partitioned.Clustering;

/// <summary>
/// Starts a cluster with its host (the host's start waits until every partition serves, so the app takes no request
/// before its partitions do) and stops it gracefully with the host, within the host's shutdown timeout: past it, the
/// remaining partitions are abandoned rather than left running.
/// </summary>
internal sealed partial class ClusterHostedService<TRow, TResult>(Cluster<TRow, TResult> cluster, ILogger<Cluster<TRow, TResult>> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => cluster.StartAsync(cancellationToken);

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        try
        {
            var results = await cluster.StopAsync(cancellationToken).ConfigureAwait(false);
            Log.Stopped(logger, results.PartitionCount);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            Log.ShutdownTimeout(logger);
        }
        catch (ClusterStopException ex)
        {
            Log.StoppedWithoutSomeResults(logger, ex);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 280, Level = LogLevel.Information, Message = "The host stopped the cluster: {Partitions} partitions drained and handed back their results.")]
        public static partial void Stopped(ILogger logger, int partitions);

        [LoggerMessage(EventId = 281, Level = LogLevel.Warning, Message = "The host's shutdown timeout ran out while the cluster stopped; the partitions still running were abandoned.")]
        public static partial void ShutdownTimeout(ILogger logger);

        [LoggerMessage(EventId = 282, Level = LogLevel.Warning, Message = "The host stopped the cluster, but some partitions handed back no results.")]
        public static partial void StoppedWithoutSomeResults(ILogger logger, Exception exception);
    }
}
