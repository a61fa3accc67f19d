using Partitioned.Coordination;

namespace Partitioned.Clustering;

/// <summary>A partition has no live attempt and will not get one: every allowed attempt failed, or the cluster stopped while it had none.</summary>
public sealed class PartitionFailedException : PartitionedException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="partition">The partition.</param>
    /// <param name="attempts">Every attempt the partition made, in order.</param>
    /// <param name="reason">Why the partition failed, when it is not that every attempt failed.</param>
    public PartitionFailedException(int partition, IReadOnlyList<AttemptOutcome> attempts, string? reason = null)
        : base(Format(partition, attempts, reason), attempts.LastOrDefault(static a => a.Exception is not null)?.Exception)
    {
        Partition = partition;
        Attempts = attempts;
    }

    /// <summary>The partition that failed.</summary>
    public int Partition { get; }

    /// <summary>Every attempt of the partition, in order, with its error.</summary>
    public IReadOnlyList<AttemptOutcome> Attempts { get; }

    private static string Format(int partition, IReadOnlyList<AttemptOutcome> attempts, string? reason)
    {
        var head = reason is null
            ? $"Partition {partition} failed all {attempts.Count} attempts."
            : $"Partition {partition} failed: {reason}.";
        var lines = attempts.Where(static a => a.Error is not null).Select(static a => $"  attempt {a.Attempt}: {a.Error}");
        return string.Join(Environment.NewLine, lines.Prepend(head));
    }
}
