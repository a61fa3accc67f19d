namespace Partitioned.Coordination;

/// <summary>
/// Which attempts the driver launched or assigned, per partition and replica, and the server version each runs: the
/// directory's fencing record. Not thread-safe: the <see cref="PartitionDirectory"/> reads and writes it under its lock.
/// </summary>
/// <remarks>
/// Per partition and replica, the attempt admitted last (-1: none announced, so any newer attempt may register, as a
/// stand-alone coordinator allows). Attempt numbers are unique per partition across replicas, so an attempt number alone
/// names its replica.
/// </remarks>
internal sealed class AttemptAdmissions
{
    private readonly int[][] _admitted;
    private readonly Dictionary<int, int>[] _replicaOf;

    // The server version each admitted attempt runs, shown once it registers.
    private readonly Dictionary<(int Partition, int Attempt), int> _versions = [];

    public AttemptAdmissions(int partitionCount, int replicas)
    {
        _admitted = [.. Enumerable.Range(0, partitionCount).Select(_ => Enumerable.Repeat(-1, replicas).ToArray())];
        _replicaOf = [.. Enumerable.Range(0, partitionCount).Select(_ => new Dictionary<int, int>())];
    }

    /// <summary>Records an admitted attempt; false for an unknown partition or replica, or an attempt lower than the replica's (unless reinstated).</summary>
    public bool Admit(int partition, int replica, int attempt, int version, bool reinstate)
    {
        if ((uint)partition >= (uint)_admitted.Length || (uint)replica >= (uint)_admitted[partition].Length || (!reinstate && attempt < _admitted[partition][replica]))
        {
            return false;
        }

        _admitted[partition][replica] = attempt;
        _replicaOf[partition][attempt] = replica;
        _versions[(partition, attempt)] = version;
        return true;
    }

    /// <summary>The attempt of <paramref name="replica"/> admitted last, or -1.</summary>
    public int Of(int partition, int replica) => _admitted[partition][replica];

    /// <summary>The attempt of a partition admitted last (any replica), or -1 when none was announced or the partition is unknown.</summary>
    public int Latest(int partition) => (uint)partition < (uint)_admitted.Length ? _admitted[partition].Max() : -1;

    /// <summary>Which replica an attempt belongs to; -1 when the driver admitted attempts of the partition but not this one.</summary>
    public int ReplicaOf(int partition, int attempt)
    {
        if (_replicaOf[partition].TryGetValue(attempt, out var replica))
        {
            return replica;
        }

        return _admitted[partition].All(static a => a < 0) ? 0 : -1;
    }

    /// <summary>The server version an attempt was admitted with, or <paramref name="otherwise"/>.</summary>
    public int VersionOf(int partition, int attempt, int otherwise) => _versions.GetValueOrDefault((partition, attempt), otherwise);
}
