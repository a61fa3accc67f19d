using Microsoft.Extensions.Logging;
using Partitioned.Directories;
using Partitioned.Shared;

namespace Partitioned.Clustering;

/// <summary>Raises a cluster's public events; a handler that throws is logged and does not disturb the cluster.</summary>
internal sealed partial class ClusterEvents(object sender, ILogger logger)
{
    public event EventHandler<AttemptOutcome>? AttemptCompleted;

    public event EventHandler<PartitionChange>? PartitionChanged;

    public event EventHandler<PartitionFailedException>? PartitionFailed;

    public void RaiseAttemptCompleted(AttemptOutcome outcome) => Raise(AttemptCompleted, outcome, nameof(AttemptCompleted));

    public void RaisePartitionChanged(PartitionChange change) => Raise(PartitionChanged, change, nameof(PartitionChanged));

    public void RaisePartitionFailed(PartitionFailedException failure) => Raise(PartitionFailed, failure, nameof(PartitionFailed));

    private void Raise<T>(EventHandler<T>? handlers, T value, string name) =>
        SafeEvents.Raise(handlers, sender, value, ex => Log.HandlerFailed(logger, name, ex));

    private static partial class Log
    {
        [LoggerMessage(EventId = 220, Level = LogLevel.Error, Message = "A {Event} handler threw; the cluster carries on.")]
        public static partial void HandlerFailed(ILogger logger, string @event, Exception exception);
    }
}
