namespace Partitioned.Clustering;

/// <summary>
/// Where an attempt goes among a run's executors. Without a cap on executors (only <see cref="WorkerOptions.PartitionsPerExecutor"/>)
/// it fills them (the fullest one with a free slot first), so a cluster starts as few processes as its attempts need. With
/// a cap (<see cref="WorkerOptions.Executors"/>, <see cref="SlurmRunnerOptions.ExecutorsPerNode"/>) it spreads: every
/// executor the cap allows is started, and each attempt goes to the least full, since the slots are sized to just hold
/// every attempt, and filling one executor after the other would leave the last partitions' replicas a single executor
/// to share. Either way: never next to a replica of the same partition; and, while another choice exists, neither into an
/// executor where the partition failed before (the fault may be in that process), nor onto a node where it failed or
/// where a sibling replica runs (so a machine's loss takes one replica, not two).
/// </summary>
/// <remarks>
/// A re-launch goes into a live executor with a free slot that passes those rules (no process to start: it serves in the
/// time its server takes to start), else into a new executor (placed by the engine away from the nodes to avoid), else,
/// when no more executors may start, into an executor that breaks only the soft rules, else into a spare slot
/// (<see cref="ExecutorSizing.Spare"/>) of an executor that holds no replica of the partition. Executors whose node is not known
/// yet (still starting) are fine for an attempt with no node to avoid, and, when spreading, for any attempt.
/// </remarks>
internal static class ExecutorPlacement
{
    /// <returns>The executor to use, or <c>StartNew</c> for a new one; neither when nothing fits.</returns>
    public static (ExecutorProcess? Executor, bool StartNew) Choose(IReadOnlyList<ExecutorProcess> live, ExecutorSizing sizing, int partition, IReadOnlyList<AttemptOutcome> previous, IReadOnlyList<string> siblingNodes)
    {
        var failedNodes = previous.Where(static a => a.Status == AttemptStatus.Failed && a.Node is not null).Select(static a => a.Node!).ToHashSet(StringComparer.Ordinal);
        var avoidNodes = new HashSet<string>(failedNodes.Concat(siblingNodes), StringComparer.Ordinal);
        if (sizing.MaxExecutors is { } cap && live.Count < cap)
        {
            // The cap says how many executors the run has: start them all before doubling up.
            return (null, true);
        }

        var spread = sizing.MaxExecutors is not null;

        var candidates = live.Where(e => e.Members.Count < sizing.Slots && !e.Members.Keys.Any(k => k.Partition == partition));
        var open = (spread ? candidates.OrderBy(static e => e.Members.Count) : candidates.OrderByDescending(static e => e.Members.Count))
            .ThenBy(static e => e.Sequence)
            .ToList();
        // Filling, an executor whose node is not known yet is passed over when a node must be avoided (a new one can start
        // away from it). Spreading, it is not: skipping executors that are still starting would pile the attempts that
        // have a node to avoid onto the others, and the last attempts would find only their siblings' executors free.
        var good = open.FirstOrDefault(e => !e.FailedPartitions.Contains(partition)
            && (avoidNodes.Count == 0 || (e.Node is { } node ? !avoidNodes.Contains(node) : spread)));
        if (good is not null)
        {
            return (good, false);
        }

        if (sizing.MaxExecutors is not { } max || live.Count < max)
        {
            return (null, true);
        }

        // No more executors may start: breaking a soft rule beats failing the attempt, and so does a spare slot (the only
        // free slots may be next to a sibling replica).
        return (open.FirstOrDefault() ?? live
            .Where(e => e.Members.Count < sizing.Capacity && !e.Members.Keys.Any(k => k.Partition == partition))
            .OrderBy(static e => e.Members.Count)
            .ThenBy(static e => e.Sequence)
            .FirstOrDefault(), false);
    }
}
