using Partitioned.Coordination;

namespace Partitioned.Clustering;

/// <summary>The cluster stopped, but one or more partitions produced no results. Each failure names its partition and attempts.</summary>
public sealed class ClusterStopException : PartitionedException
{
    /// <summary>Creates the exception.</summary>
    public ClusterStopException(IReadOnlyList<PartitionFailedException> failures)
        : base(string.Join(Environment.NewLine, failures.Select(static f => f.Message).Prepend($"The cluster stopped without results from {failures.Count} partition(s):")),
            failures.Count == 1 ? failures[0] : new AggregateException(failures))
    {
        Failures = failures;
    }

    /// <summary>One entry per partition without results.</summary>
    public IReadOnlyList<PartitionFailedException> Failures { get; }
}
