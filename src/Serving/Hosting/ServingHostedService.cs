using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Partitioned.Clustering;

namespace Partitioned.Serving;

/// <summary>
/// Starts a serving cluster with its host (partitions, then the gateway or ingress) and stops it with the host: the
/// front first, so no request arrives while partitions drain, within the host's shutdown timeout.
/// </summary>
internal sealed partial class ServingHostedService<TRow, TResult>(ServingCluster<TRow, TResult> serving, ILogger<ServingCluster<TRow, TResult>> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await serving.StartAsync(cancellationToken).ConfigureAwait(false);
        Log.Serving(logger, serving.Mode, serving.Address);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        try
        {
            await serving.StopAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            Log.ShutdownTimeout(logger);
        }
        catch (ClusterStopException ex)
        {
            Log.StoppedWithoutSomeResults(logger, ex);
        }
        catch (InvalidOperationException ex) when (serving.Cluster.State == ClusterState.Stopped)
        {
            // The host is stopping after a failed start: nothing ran.
            Log.NothingToStop(logger, ex.Message);
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 580, Level = LogLevel.Information, Message = "Serving ({Mode}) at {Address}.")]
        public static partial void Serving(ILogger logger, ServingMode mode, Uri address);

        [LoggerMessage(EventId = 581, Level = LogLevel.Warning, Message = "The host's shutdown timeout ran out while the serving cluster stopped; the partitions still running were abandoned.")]
        public static partial void ShutdownTimeout(ILogger logger);

        [LoggerMessage(EventId = 582, Level = LogLevel.Warning, Message = "The host stopped the serving cluster, but some partitions handed back no results.")]
        public static partial void StoppedWithoutSomeResults(ILogger logger, Exception exception);

        [LoggerMessage(EventId = 583, Level = LogLevel.Debug, Message = "The serving cluster had nothing to stop: {Reason}")]
        public static partial void NothingToStop(ILogger logger, string reason);
    }
}
