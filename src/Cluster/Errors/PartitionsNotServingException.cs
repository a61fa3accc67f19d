using Partitioned.Directories;

namespace Partitioned.Clustering;

/// <summary>
/// Not every partition was serving before a deadline (<see cref="ClusterOptions.StartTimeout"/> at start, or the
/// timeout given to <c>WaitForAllServingAsync</c>). The message names each missing partition and the last error it reported.
/// </summary>
public sealed class PartitionsNotServingException : PartitionedException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="waitingFor">What was awaited, for the message ("the cluster to start").</param>
    /// <param name="timeout">How long the wait lasted.</param>
    /// <param name="missing">The partitions that were not serving, and the last error each reported (null if none).</param>
    public PartitionsNotServingException(string waitingFor, TimeSpan timeout, IReadOnlyDictionary<int, string?> missing)
        : base(Format(waitingFor, timeout, missing))
    {
        Timeout = timeout;
        MissingPartitions = missing;
    }

    /// <summary>How long the wait lasted.</summary>
    public TimeSpan Timeout { get; }

    /// <summary>The partitions that were not serving, with the last error each reported (null if none).</summary>
    public IReadOnlyDictionary<int, string?> MissingPartitions { get; }

    internal static PartitionsNotServingException FromSnapshot(string waitingFor, TimeSpan timeout, DirectorySnapshot snapshot) =>
        new(waitingFor, timeout, snapshot.Partitions
            .Where(static p => p.State != PartitionState.Serving)
            .ToDictionary(static p => p.Partition, static p => p.LastError is null ? null : $"{p.LastError} (attempt {p.Attempt})"));

    private static string Format(string waitingFor, TimeSpan timeout, IReadOnlyDictionary<int, string?> missing)
    {
        var lines = missing.OrderBy(static m => m.Key).Select(static m =>
            $"  partition {m.Key}: {m.Value ?? "not registered and no error reported (still initialising, or it cannot reach the coordinator)"}");
        return string.Join(Environment.NewLine, lines.Prepend(
            $"Timed out after {timeout.TotalSeconds:0.###} s waiting for {waitingFor}; {missing.Count} partition(s) not serving:"));
    }
}
