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

    /// <summary>Every built-in policy.</summary>
    public static IReadOnlyList<string> All { get; } = [RoundRobin, LeastOutstanding, PowerOfTwoChoices];
}
