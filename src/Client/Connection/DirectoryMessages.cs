using System.Collections.Immutable;
using V1 = Partitioned.Protocol.V1;

namespace Partitioned.Client;

/// <summary>Maps the gRPC contract's messages to the directory's records.</summary>
internal static class DirectoryMessages
{
    public static DirectorySnapshot ToSnapshot(V1.DirectorySnapshot message) =>
        new(message.Version, [.. message.Partitions.OrderBy(static p => p.Partition).Select(ToEntry)]);

    public static PartitionEntry ToEntry(V1.PartitionEntry message)
    {
        var entry = new PartitionEntry(message.Partition, ToState(message.State), message.Attempt, ToUri(message.Endpoint), NullIfEmpty(message.LastError), DateTimeOffset.FromUnixTimeMilliseconds(message.SinceUnixMs))
        {
            Node = NullIfEmpty(message.Node),
        };

        // A coordinator that sends no replicas (an older one) runs one per partition: the partition is its replica.
        ImmutableArray<ReplicaEntry> replicas = message.Replicas.Count == 0
            ? [new ReplicaEntry(0, entry.State, entry.Attempt, entry.Endpoint, entry.LastError, entry.Since) { Node = entry.Node }]
            : [.. message.Replicas.OrderBy(static r => r.Replica).Select(static r => new ReplicaEntry(r.Replica, ToState(r.State), r.Attempt, ToUri(r.Endpoint), NullIfEmpty(r.LastError), DateTimeOffset.FromUnixTimeMilliseconds(r.SinceUnixMs))
            {
                Node = NullIfEmpty(r.Node),
                Version = r.Version,
                Suspected = r.Suspected,
                Executor = NullIfEmpty(r.Executor),
                Labels = r.Labels.Count == 0 ? ReplicaEntry.EmptyLabels : new Dictionary<string, string>(r.Labels, StringComparer.Ordinal),
            })];
        return entry with { Replicas = replicas };
    }

    public static PartitionChangeKind ToKind(V1.ChangeKind kind) => kind switch
    {
        V1.ChangeKind.Registered => PartitionChangeKind.Registered,
        V1.ChangeKind.Replaced => PartitionChangeKind.Replaced,
        V1.ChangeKind.Recovered => PartitionChangeKind.Recovered,
        V1.ChangeKind.Lost => PartitionChangeKind.Lost,
        V1.ChangeKind.Failed => PartitionChangeKind.Failed,
        V1.ChangeKind.Stopped => PartitionChangeKind.Stopped,
        V1.ChangeKind.Suspected => PartitionChangeKind.Suspected,
        _ => PartitionChangeKind.ErrorReported,
    };

    private static PartitionState ToState(V1.PartitionState state) => state switch
    {
        V1.PartitionState.Serving => PartitionState.Serving,
        V1.PartitionState.Lost => PartitionState.Lost,
        V1.PartitionState.Failed => PartitionState.Failed,
        V1.PartitionState.Stopped => PartitionState.Stopped,
        _ => PartitionState.Pending,
    };

    private static Uri? ToUri(string endpoint) => Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) ? uri : null;

    private static string? NullIfEmpty(string text) => text.Length == 0 ? null : text;

    public static bool IsValid(V1.DirectorySnapshot snapshot) =>
        snapshot.Partitions.Count > 0 && snapshot.Partitions.Select(static p => p.Partition).Order().SequenceEqual(Enumerable.Range(0, snapshot.Partitions.Count));

    internal static ImmutableArray<PartitionEntry> None => [];
}
