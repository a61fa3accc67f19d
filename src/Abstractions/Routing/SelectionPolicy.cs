namespace Partitioned.Routing;

/// <summary>How <see cref="ReplicaSelector"/> chooses among the candidates left after the health rules.</summary>
internal enum SelectionPolicy
{
    /// <summary>In turn.</summary>
    RoundRobin,

    /// <summary>The one with the fewest requests under way through this selector (ties broken in turn).</summary>
    LeastOutstanding,

    /// <summary>The less busy of two chosen at random.</summary>
    PowerOfTwoChoices,

    /// <summary>The best ranked by observed response time and reported queue depth (<see cref="ReplicaRanks"/>).</summary>
    Adaptive,
}
