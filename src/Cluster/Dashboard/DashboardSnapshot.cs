using Partitioned.Directories;

namespace Partitioned.Clustering;

/// <summary>What the dashboard page shows at one moment: the cluster, every partition, the last attempts, the services. Holds no secret.</summary>
internal sealed record DashboardSnapshot(
    DashboardSnapshot.ClusterView Cluster,
    IReadOnlyList<DashboardSnapshot.PartitionView> Partitions,
    IReadOnlyList<DashboardSnapshot.AttemptView> Attempts,
    IReadOnlyList<ServiceStatsView> Services)
{
    public static DashboardSnapshot Of<TRow, TResult>(Cluster<TRow, TResult> cluster, ServingStats stats, int attemptHistory)
    {
        var attempts = cluster.Attempts.TakeLast(attemptHistory).Reverse()
            .Select(static a => new AttemptView(a.Partition, a.Attempt, a.Status.ToString().ToLowerInvariant(), a.Error, a.Node, a.Started, a.Ended) { Replica = a.Replica })
            .ToList();
        var state = cluster.State;
        DirectorySnapshot? directory = null;
        string? id = null;
        if (state == ClusterState.Running)
        {
            try
            {
                (directory, id) = (cluster.Directory.Current, cluster.Id);
            }
            catch (InvalidOperationException)
            {
                // Stopped between the two reads.
                state = ClusterState.Stopped;
            }
        }

        var view = new ClusterView(id, state.ToString().ToLowerInvariant(), cluster.Options.Runner.Name, cluster.Dataset.PartitionCount, directory?.Version, directory?.ServingCount);
        var partitions = directory is null
            ? []
            : directory.Partitions.Select(p => new PartitionView(
                p.Partition,
                p.State.ToString().ToLowerInvariant(),
                p.Attempt < 0 ? null : p.Attempt,
                p.Endpoint?.ToString(),
                p.Node,
                p.LastError,
                cluster.Directory.GetLastSeen(p.Partition),
                p.Since)
            {
                Replicas = [.. p.Replicas.Select(static r => new ReplicaView(r.Replica, r.State.ToString().ToLowerInvariant(), r.Attempt < 0 ? null : r.Attempt, r.Endpoint?.ToString(), r.Node, r.Version)
                {
                    Labels = r.Labels.Count == 0 ? null : r.Labels,
                })],
            }).ToList();
        var scaling = cluster.AutoscaleHistory.Reverse().Select(static e => new ScalingView(e.At, e.Partition, e.Direction, e.Replica, e.MeanInFlight, e.Serving, e.Outcome, e.Seconds)).ToList();
        return new DashboardSnapshot(view, partitions, attempts, stats.Read()) { Scaling = scaling };
    }

    /// <summary>The autoscaling steps, latest first (empty without autoscaling).</summary>
    public IReadOnlyList<ScalingView> Scaling { get; init; } = [];

    /// <summary>One autoscaling step: when, which partition and replica slot, which way, the load that decided it, and how it ended.</summary>
    public sealed record ScalingView(DateTimeOffset At, int Partition, string Direction, int Replica, double MeanInFlight, int Serving, string? Outcome, double? Seconds);

    /// <summary>The cluster: its run id (null when stopped), state, runner and counts.</summary>
    public sealed record ClusterView(string? Id, string State, string Runner, int PartitionCount, long? Version, int? Serving);

    /// <summary>One partition, as the directory has it.</summary>
    public sealed record PartitionView(int Partition, string State, int? Attempt, string? Endpoint, string? Node, string? LastError, DateTimeOffset? LastSeen, DateTimeOffset Since)
    {
        /// <summary>The partition's replicas (one with one replica per partition).</summary>
        public IReadOnlyList<ReplicaView> Replicas { get; init; } = [];
    }

    /// <summary>One replica of a partition.</summary>
    public sealed record ReplicaView(int Replica, string State, int? Attempt, string? Endpoint, string? Node, int Version)
    {
        /// <summary>The labels its attempt announced, or null when none.</summary>
        public IReadOnlyDictionary<string, string>? Labels { get; init; }
    }

    /// <summary>One ended attempt.</summary>
    public sealed record AttemptView(int Partition, int Attempt, string Status, string? Error, string? Node, DateTimeOffset Started, DateTimeOffset Ended)
    {
        /// <summary>Which replica the attempt served.</summary>
        public int Replica { get; init; }
    }
}
