namespace Partitioned.Clustering;

/// <summary>
/// Autoscaling per partition (<see cref="ClusterOptions.Autoscale"/>): each partition runs between
/// <see cref="MinReplicas"/> and <see cref="MaxReplicas"/> replicas, sized from the requests its replicas report in flight.
/// A partition whose replicas average more than <see cref="TargetInFlight"/> for <see cref="ScaleUpWindows"/> windows in a
/// row gets one more replica; one whose load would stay under the target with one replica fewer for
/// <see cref="ScaleDownWindows"/> windows in a row gives one back, drained first. At most one step per partition per
/// <see cref="Cooldown"/>. Checked when the cluster starts; every problem is reported at once.
/// </summary>
public sealed record AutoscaleOptions
{
    /// <summary>The fewest replicas a partition runs. Default 1.</summary>
    public int MinReplicas { get; init; } = 1;

    /// <summary>The most replicas a partition runs (at most 64). Default 4.</summary>
    public int MaxReplicas { get; init; } = 4;

    /// <summary>
    /// The requests in flight per serving replica the autoscaler aims at, averaged over a window: each replica's own count
    /// (every caller's requests: gateway, driver clients, remote clients), reported with its health checks. Default 4.
    /// </summary>
    public double TargetInFlight { get; init; } = 4;

    /// <summary>How long one measurement window lasts; at least <see cref="ClusterOptions.HealthCheckInterval"/>, which samples the load. Default 10 s.</summary>
    public TimeSpan Window { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Windows in a row above the target before a partition scales up. Default 2.</summary>
    public int ScaleUpWindows { get; init; } = 2;

    /// <summary>Windows in a row in which one replica fewer would still be under the target before a partition scales down. Default 6 (a minute with the default window).</summary>
    public int ScaleDownWindows { get; init; } = 6;

    /// <summary>The shortest time between two steps of one partition, up or down. Default 30 s.</summary>
    public TimeSpan Cooldown { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long a scale-down waits, after it took the replica out of routing, for every router to have that directory
    /// version before draining it. Routers in the driver read the directory on every pick, so they have it at once; remote
    /// clients (<c>Partitioned.Client</c>) count once their Watch stream was handed the change. Default 5 s.
    /// </summary>
    public TimeSpan AcknowledgeTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How long a scale-down waits after every router has the change and before asking the replica to drain: requests a
    /// router picked the replica for just before then still reach it. Default 1 s.
    /// </summary>
    public TimeSpan RetireGrace { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Every problem with these options, each naming the setting (prefixed by <c>Autoscale.</c> in the cluster's error).</summary>
    internal IEnumerable<string> Validate(ClusterOptions cluster)
    {
        if (MinReplicas < 1)
        {
            yield return $"{nameof(MinReplicas)} must be at least 1 (was {MinReplicas}).";
        }

        if (MaxReplicas is < 1 or > 64 || MaxReplicas < MinReplicas)
        {
            yield return $"{nameof(MaxReplicas)} must be between {nameof(MinReplicas)} ({MinReplicas}) and 64 (was {MaxReplicas}).";
        }

        if (cluster.Replicas < MinReplicas || cluster.Replicas > MaxReplicas)
        {
            yield return $"{nameof(ClusterOptions)}.{nameof(ClusterOptions.Replicas)} is how many replicas each partition starts with, so it must be between {nameof(MinReplicas)} ({MinReplicas}) and {nameof(MaxReplicas)} ({MaxReplicas}) (was {cluster.Replicas}).";
        }

        if (!(TargetInFlight > 0) || double.IsInfinity(TargetInFlight))
        {
            yield return $"{nameof(TargetInFlight)} must be a positive number of requests (was {TargetInFlight}).";
        }

        if (Window < cluster.HealthCheckInterval)
        {
            yield return $"{nameof(Window)} must be at least {nameof(ClusterOptions)}.{nameof(ClusterOptions.HealthCheckInterval)} ({cluster.HealthCheckInterval}), which samples the load (was {Window}).";
        }

        if (ScaleUpWindows < 1)
        {
            yield return $"{nameof(ScaleUpWindows)} must be at least 1 (was {ScaleUpWindows}).";
        }

        if (ScaleDownWindows < 1)
        {
            yield return $"{nameof(ScaleDownWindows)} must be at least 1 (was {ScaleDownWindows}).";
        }

        if (Cooldown < TimeSpan.Zero)
        {
            yield return $"{nameof(Cooldown)} must not be negative (was {Cooldown}).";
        }

        if (AcknowledgeTimeout < TimeSpan.Zero || RetireGrace < TimeSpan.Zero)
        {
            yield return $"{nameof(AcknowledgeTimeout)} and {nameof(RetireGrace)} must not be negative (were {AcknowledgeTimeout} and {RetireGrace}).";
        }

        if (cluster.Runner is ExternalWorkersRunner)
        {
            yield return $"Autoscaling needs a runner that launches its own workers, not {nameof(ExternalWorkersRunner)}: an engine that launches its workers starts one per partition.";
        }
    }
}
