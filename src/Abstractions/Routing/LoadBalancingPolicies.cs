namespace Partitioned.Routing;

/// <summary>The built-in load-balancing policies, chosen by name (for example from configuration).</summary>
public static class LoadBalancingPolicies
{
    /// <summary>Each live partition in turn.</summary>
    public const string RoundRobin = "RoundRobin";

    /// <summary>The live partition with the fewest requests outstanding from this balancer.</summary>
    public const string LeastOutstanding = "LeastOutstanding";

    /// <summary>Two live partitions at random; the one with fewer outstanding requests. Near least-outstanding quality without its herding.</summary>
    public const string PowerOfTwoChoices = "PowerOfTwoChoices";

    /// <summary>
    /// Adaptive replica selection: the replica ranked best by its observed response time, the queue depth it reports
    /// with its answers and the requests under way to it, at random among near-equal ranks; a replica without statistics
    /// gets at most two requests in flight. Moves traffic off a replica that is slow but alive, and back once it recovers.
    /// </summary>
    public const string Adaptive = "Adaptive";

    /// <summary>Every built-in policy.</summary>
    public static IReadOnlyList<string> All { get; } = [RoundRobin, LeastOutstanding, PowerOfTwoChoices, Adaptive];

    /// <summary>The selection a policy name stands for; throws for an unknown name.</summary>
    internal static SelectionPolicy Parse(string policy, string parameterName) => policy switch
    {
        RoundRobin => SelectionPolicy.RoundRobin,
        LeastOutstanding => SelectionPolicy.LeastOutstanding,
        PowerOfTwoChoices => SelectionPolicy.PowerOfTwoChoices,
        Adaptive => SelectionPolicy.Adaptive,
        _ => throw new ArgumentException($"Unknown load-balancing policy '{policy}'. Use one of: {string.Join(", ", All)}.", parameterName),
    };
}
