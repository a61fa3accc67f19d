using Microsoft.Extensions.Logging;

namespace Partitioned.Clustering;

public sealed partial class SlurmRunner
{
    private static partial class Log
    {
        [LoggerMessage(EventId = 270, Level = LogLevel.Debug, Message = "{Who}: submitting job {JobName} (excluded nodes: {Exclude}).")]
        public static partial void Submitting(ILogger logger, string who, string jobName, string exclude);

        [LoggerMessage(EventId = 271, Level = LogLevel.Information, Message = "{Who}: Slurm job {JobId} runs on node {Node}.")]
        public static partial void Placed(ILogger logger, string who, string jobId, string node);

        [LoggerMessage(EventId = 272, Level = LogLevel.Debug, Message = "[{Who}] {Line}")]
        public static partial void SrunSaid(ILogger logger, string who, string line);

        [LoggerMessage(EventId = 273, Level = LogLevel.Information, Message = "Cancelled Slurm job {JobName}.")]
        public static partial void Cancelled(ILogger logger, string jobName);

        [LoggerMessage(EventId = 274, Level = LogLevel.Warning, Message = "Could not cancel Slurm job {JobName}: {Reason}")]
        public static partial void CancelFailed(ILogger logger, string jobName, string reason);

        [LoggerMessage(EventId = 275, Level = LogLevel.Warning, Message = "{Who}: the nodes could not be listed ({Reason}); it may run on a node where an earlier attempt died.")]
        public static partial void PlacementUnknown(ILogger logger, string who, string reason);
    }
}
