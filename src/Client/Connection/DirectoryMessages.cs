using System.Collections.Immutable;
using V1 = Partitioned.Protocol.V1;

namespace Partitioned.Client;

/// <summary>Maps the gRPC contract's messages to the directory's records.</summary>
internal static class DirectoryMessages
{
    public static DirectorySnapshot ToSnapshot(V1.DirectorySnapshot message) =>
        new(message.Version, [.. message.Partitions.OrderBy(static p => p.Partition).Select(ToEntry)]);

    public static PartitionEntry ToEntry(V1.PartitionEntry message) => new(
        message.Partition,
        message.State switch
        {
            V1.PartitionState.Serving => PartitionState.Serving,
            V1.PartitionState.Lost => PartitionState.Lost,
            V1.PartitionState.Failed => PartitionState.Failed,
            V1.PartitionState.Stopped => PartitionState.Stopped,
            _ => PartitionState.Pending,
        },
        message.Attempt,
        Uri.TryCreate(message.Endpoint, UriKind.Absolute, out var endpoint) ? endpoint : null,
        message.LastError.Length == 0 ? null : message.LastError,
        DateTimeOffset.FromUnixTimeMilliseconds(message.SinceUnixMs))
    {
        Node = message.Node.Length == 0 ? null : message.Node,
    };

    public static PartitionChangeKind ToKind(V1.ChangeKind kind) => kind switch
    {
        V1.ChangeKind.Registered => PartitionChangeKind.Registered,
        V1.ChangeKind.Replaced => PartitionChangeKind.Replaced,
        V1.ChangeKind.Recovered => PartitionChangeKind.Recovered,
        V1.ChangeKind.Lost => PartitionChangeKind.Lost,
        V1.ChangeKind.Failed => PartitionChangeKind.Failed,
        V1.ChangeKind.Stopped => PartitionChangeKind.Stopped,
        _ => PartitionChangeKind.ErrorReported,
    };

    public static bool IsValid(V1.DirectorySnapshot snapshot) =>
        snapshot.Partitions.Count > 0 && snapshot.Partitions.Select(static p => p.Partition).Order().SequenceEqual(Enumerable.Range(0, snapshot.Partitions.Count));

    internal static ImmutableArray<PartitionEntry> None => [];
}
