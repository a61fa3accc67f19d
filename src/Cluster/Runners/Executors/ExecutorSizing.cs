namespace Partitioned.Clustering;

/// <summary>How executors are sized in one cluster run.</summary>
/// <param name="Slots">How many attempts one executor hosts at once.</param>
/// <param name="MaxExecutors">How many executors may run at once; null for as many as the attempts need.</param>
/// <param name="Cpus">CPUs to reserve for each executor where the engine reserves them (Slurm's <c>--cpus-per-task</c>), or null.</param>
/// <param name="Memory">Memory to reserve for each executor, in Slurm's notation, or null.</param>
internal sealed record ExecutorSizing(int Slots, int? MaxExecutors, int? Cpus = null, string? Memory = null)
{
    /// <summary>
    /// Attempts an executor may host beyond <see cref="Slots"/> when the executors are capped and that is the only way to
    /// keep a partition's replicas apart: with every slot needed, the last free one can be next to the sibling of the
    /// attempt that needs it. One less than the replicas (none with one replica).
    /// </summary>
    public int Spare { get; init; }

    /// <summary>The most attempts an executor hosts: its slots and its spare.</summary>
    public int Capacity => Slots + Spare;

    /// <summary>The sizing the worker options ask for when <paramref name="attempts"/> attempts of <paramref name="replicas"/> replicas each run at once.</summary>
    /// <remarks>
    /// With <see cref="WorkerOptions.Executors"/> set, the slots grow until that many executors hold every attempt; replicas
    /// of a partition never share an executor, so there are at least as many executors as replicas.
    /// </remarks>
    public static ExecutorSizing From(WorkerOptions options, int attempts, int replicas)
    {
        if (options.Executors is not { } executors)
        {
            return new ExecutorSizing(options.PartitionsPerExecutor, null);
        }

        var slots = Math.Max(options.PartitionsPerExecutor, (attempts + executors - 1) / executors);
        return new ExecutorSizing(slots, Math.Max(executors, replicas)) { Spare = replicas - 1 };
    }

    /// <inheritdoc />
    public override string ToString() =>
        $"{Slots} slots{(Spare > 0 ? $" (and {Spare} spare)" : string.Empty)}{(MaxExecutors is { } max ? $", at most {max} executors" : string.Empty)}{(Cpus is { } cpus ? $", {cpus} CPUs" : string.Empty)}{(Memory is { } memory ? $", {memory} memory" : string.Empty)}";
}
