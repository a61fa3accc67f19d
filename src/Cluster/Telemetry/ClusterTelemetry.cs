namespace Partitioned.Clustering;

/// <summary>
/// The names under which clusters publish metrics (<see cref="System.Diagnostics.Metrics.Meter"/>), for OpenTelemetry,
/// <c>dotnet-counters</c> and friends. Names, units and attributes follow OpenTelemetry's semantic conventions; every
/// instrument is tagged with <see cref="ClusterIdAttribute"/>.
/// </summary>
public static class ClusterTelemetry
{
    /// <summary>The meter's name.</summary>
    public const string MeterName = "Partitioned.Clustering";

    /// <summary>Observed up-down counter of partitions (<c>{partition}</c>) by <see cref="StateAttribute"/>, for every running cluster of the process.</summary>
    public const string Partitions = "partitioned.cluster.partitions";

    /// <summary>Counter of partition attempts launched (<c>{attempt}</c>).</summary>
    public const string AttemptsStarted = "partitioned.cluster.attempts.started";

    /// <summary>Counter of partition attempts that ended (<c>{attempt}</c>), by <see cref="AttemptStatusAttribute"/>.</summary>
    public const string AttemptsEnded = "partitioned.cluster.attempts.ended";

    /// <summary>Counter of re-launches (<c>{attempt}</c>): attempts after a partition's first.</summary>
    public const string Relaunches = "partitioned.cluster.relaunches";

    /// <summary>Histogram of the time from an attempt's launch to its registration with the coordinator, in seconds.</summary>
    public const string RegistrationDuration = "partitioned.cluster.registration.duration";

    /// <summary>Counter of autoscaling steps (<c>{step}</c>), by <see cref="AutoscaleDirectionAttribute"/>: a decision carried out.</summary>
    public const string AutoscaleSteps = "partitioned.cluster.autoscale.steps";

    /// <summary>
    /// Histogram of the time from an autoscaling decision to its end, in seconds, by <see cref="AutoscaleDirectionAttribute"/>:
    /// up, until the new replica serves; down, until the retired replica drained and stopped.
    /// </summary>
    public const string AutoscaleStepDuration = "partitioned.cluster.autoscale.step.duration";

    /// <summary>The attribute holding an autoscaling step's direction (<c>up</c>, <c>down</c>).</summary>
    public const string AutoscaleDirectionAttribute = "partitioned.autoscale.direction";

    /// <summary>The attribute naming the cluster run.</summary>
    public const string ClusterIdAttribute = "partitioned.cluster.id";

    /// <summary>The attribute holding a partition's state (<c>pending</c>, <c>serving</c>, <c>lost</c>, <c>failed</c>, <c>stopped</c>).</summary>
    public const string StateAttribute = "partitioned.partition.state";

    /// <summary>The attribute holding how an attempt ended (<c>succeeded</c>, <c>failed</c>, <c>abandoned</c>).</summary>
    public const string AttemptStatusAttribute = "partitioned.attempt.status";

    /// <summary>The attribute naming the runner (<c>in-process</c>, <c>process</c>, <c>slurm</c>, <c>external</c>).</summary>
    public const string RunnerAttribute = "partitioned.runner";
}
