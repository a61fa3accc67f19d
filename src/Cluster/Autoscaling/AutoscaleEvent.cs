namespace Partitioned.Clustering;

/// <summary>One autoscaling step, as the dashboard lists it.</summary>
/// <param name="At">When it was decided.</param>
/// <param name="Partition">The partition.</param>
/// <param name="Direction"><c>up</c> or <c>down</c>.</param>
/// <param name="Replica">The replica slot started or retired.</param>
/// <param name="MeanInFlight">The partition's requests in flight, averaged over the window that decided it.</param>
/// <param name="Serving">The replicas serving when it was decided.</param>
internal sealed record AutoscaleEvent(DateTimeOffset At, int Partition, string Direction, int Replica, double MeanInFlight, int Serving)
{
    /// <summary>How it ended (null while under way): serving, retired, or why not.</summary>
    public string? Outcome { get; set; }

    /// <summary>Seconds from the decision to its outcome.</summary>
    public double? Seconds { get; set; }
}
