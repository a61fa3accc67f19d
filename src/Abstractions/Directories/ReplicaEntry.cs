namespace Partitioned.Directories;

/// <summary>One replica of a partition in a <see cref="DirectorySnapshot"/>: its own attempt line. Immutable.</summary>
/// <param name="Replica">The replica index, from 0 to the cluster's replica count minus 1.</param>
/// <param name="State">The replica's state.</param>
/// <param name="Attempt">The latest attempt of this replica the coordinator heard of, or -1 before any.</param>
/// <param name="Endpoint">The last registered address; live only while <see cref="State"/> is <see cref="PartitionState.Serving"/>.</param>
/// <param name="LastError">The last error reported for this replica, or null.</param>
/// <param name="Since">When the replica entered its current state.</param>
public sealed record ReplicaEntry(int Replica, PartitionState State, int Attempt, Uri? Endpoint, string? LastError, DateTimeOffset Since)
{
    /// <summary>The node (machine) the registered attempt runs on, as it said when it registered, or null.</summary>
    public string? Node { get; init; }

    /// <summary>
    /// The executor (a worker process hosting several partition attempts) the registered attempt runs in, as it said when
    /// it registered; null for an attempt in a process or host of its own. The coordinator checks an executor's health once
    /// for all its members.
    /// </summary>
    public string? Executor { get; init; }

    /// <summary>The version of the server definition the replica's latest attempt runs (0 until a rolling update).</summary>
    public int Version { get; init; }

    /// <summary>
    /// The labels the registered attempt announced (<c>PartitionContext.Labels</c>); empty when none. For example
    /// the serving layer names the services that may be sent again to another replica.
    /// </summary>
    public IReadOnlyDictionary<string, string> Labels { get; init; } = EmptyLabels;

    internal static IReadOnlyDictionary<string, string> EmptyLabels { get; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>
    /// True while the serving attempt is suspected: its last health check failed (it timed out or was refused), so
    /// routers send it nothing new while another replica serves. Cleared when it answers again
    /// (<see cref="PartitionChangeKind.Recovered"/>), or followed by <see cref="PartitionState.Lost"/> when the checks keep failing.
    /// </summary>
    public bool Suspected { get; init; }

    /// <summary>The endpoint when it is live, otherwise null.</summary>
    public Uri? LiveEndpoint => State == PartitionState.Serving ? Endpoint : null;

    /// <summary>True when the replica serves and is not suspected: the replicas routers prefer.</summary>
    public bool IsHealthy => State == PartitionState.Serving && !Suspected;
}
