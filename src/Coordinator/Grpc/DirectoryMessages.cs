using V1 = Partitioned.Protocol.V1;

namespace Partitioned.Coordination;

/// <summary>Maps the directory's records to the gRPC contract's messages.</summary>
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
        _ => V1.PartitionState.Unspecified,
    };
}
