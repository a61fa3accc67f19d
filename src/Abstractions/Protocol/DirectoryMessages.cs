using System.Collections.Immutable;
using Partitioned.Directories;

using V1 = Partitioned.Protocol.V1;

namespace Partitioned.Protocol;

/// <summary>
/// Maps the directory's records to the gRPC contract's messages (the coordinator serves them) and back (a remote
/// client's mirror reads them): the one mapping of both sides.
/// </summary>
internal static class DirectoryMessages
{
    public static V1.DirectorySnapshot ToMessage(string directoryId, DirectorySnapshot snapshot)
    {
        var message = new V1.DirectorySnapshot { DirectoryId = directoryId, Version = snapshot.Version };
        foreach (var entry in snapshot.Partitions)
        {
            message.Partitions.Add(ToMessage(entry));
        }

        return message;
    }

    public static V1.PartitionChange ToMessage(PartitionChange change) => new()
    {
        Version = change.Snapshot.Version,
        Kind = change.Kind switch
        {
            PartitionChangeKind.Registered => V1.ChangeKind.Registered,
            PartitionChangeKind.Replaced => V1.ChangeKind.Replaced,
            PartitionChangeKind.Recovered => V1.ChangeKind.Recovered,
            PartitionChangeKind.ErrorReported => V1.ChangeKind.ErrorReported,
            PartitionChangeKind.Lost => V1.ChangeKind.Lost,
            PartitionChangeKind.Failed => V1.ChangeKind.Failed,
            PartitionChangeKind.Stopped => V1.ChangeKind.Stopped,
            PartitionChangeKind.Suspected => V1.ChangeKind.Suspected,
            PartitionChangeKind.ScaledUp => V1.ChangeKind.ScaledUp,
            PartitionChangeKind.Retiring => V1.ChangeKind.Retiring,
            _ => V1.ChangeKind.Unspecified,
        },
        Entry = ToMessage(change.Current),
        Replica = change.Replica?.Replica ?? 0,
    };

    public static V1.PartitionEntry ToMessage(PartitionEntry entry)
    {
        var message = new V1.PartitionEntry
        {
            Partition = entry.Partition,
            State = ToMessage(entry.State),
            Attempt = entry.Attempt,
            Endpoint = entry.Endpoint?.ToString() ?? string.Empty,
            LastError = entry.LastError ?? string.Empty,
            SinceUnixMs = entry.Since.ToUnixTimeMilliseconds(),
            Node = entry.Node ?? string.Empty,
        };
        foreach (var replica in entry.Replicas)
        {
            var replicaMessage = new V1.ReplicaEntry
            {
                Replica = replica.Replica,
                State = ToMessage(replica.State),
                Attempt = replica.Attempt,
                Endpoint = replica.Endpoint?.ToString() ?? string.Empty,
                LastError = replica.LastError ?? string.Empty,
                SinceUnixMs = replica.Since.ToUnixTimeMilliseconds(),
                Node = replica.Node ?? string.Empty,
                Version = replica.Version,
                Suspected = replica.Suspected,
                Executor = replica.Executor ?? string.Empty,
            };
            foreach (var (key, value) in replica.Labels)
            {
                replicaMessage.Labels[key] = value;
            }

            message.Replicas.Add(replicaMessage);
        }

        return message;
    }

    private static V1.PartitionState ToMessage(PartitionState state) => state switch
    {
        PartitionState.Pending => V1.PartitionState.Pending,
        PartitionState.Serving => V1.PartitionState.Serving,
        PartitionState.Lost => V1.PartitionState.Lost,
        PartitionState.Failed => V1.PartitionState.Failed,
        PartitionState.Stopped => V1.PartitionState.Stopped,
        PartitionState.Retired => V1.PartitionState.Retired,
        _ => V1.PartitionState.Unspecified,
    };

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
        V1.ChangeKind.ScaledUp => PartitionChangeKind.ScaledUp,
        V1.ChangeKind.Retiring => PartitionChangeKind.Retiring,
        _ => PartitionChangeKind.ErrorReported,
    };

    private static PartitionState ToState(V1.PartitionState state) => state switch
    {
        V1.PartitionState.Serving => PartitionState.Serving,
        V1.PartitionState.Lost => PartitionState.Lost,
        V1.PartitionState.Failed => PartitionState.Failed,
        V1.PartitionState.Stopped => PartitionState.Stopped,
        V1.PartitionState.Retired => PartitionState.Retired,
        _ => PartitionState.Pending,
    };

    private static Uri? ToUri(string endpoint) => Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) ? uri : null;

    private static string? NullIfEmpty(string text) => text.Length == 0 ? null : text;

    public static bool IsValid(V1.DirectorySnapshot snapshot) =>
        snapshot.Partitions.Count > 0 && snapshot.Partitions.Select(static p => p.Partition).Order().SequenceEqual(Enumerable.Range(0, snapshot.Partitions.Count));
}
