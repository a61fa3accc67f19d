using System.Collections.Frozen;
using Partitioned.Directories;

namespace Partitioned.Shared;

/// <summary>
/// The services partition replicas announce when they register (the serving layer lists every service a replica serves
/// in the label <see cref="Label"/>), read from directory snapshots. What a caller may name is what exists: the gateway
/// refuses any other name before it relays or counts anything, and the dashboard keeps numbers only for these.
/// </summary>
/// <param name="servingOnly">True: only replicas that serve now count (the gateway's rule); false: every replica the snapshot lists.</param>
internal sealed class AnnouncedServices(bool servingOnly)
{
    /// <summary>The registration label listing a replica's services, comma-separated (service names have no commas).</summary>
    public const string Label = "partitioned.serving/services";

    // One immutable pair, published whole; a snapshot is immutable, so the set computed from it never goes stale.
    private Cached _cached = new(null, FrozenSet<string>.Empty);

    /// <summary>The label's value for <paramref name="names"/>: sorted, comma-separated.</summary>
    public static string Format(IEnumerable<string> names) => string.Join(',', names.Order(StringComparer.Ordinal));

    /// <summary>The services the replicas of <paramref name="snapshot"/> announce; computed once per snapshot.</summary>
    public FrozenSet<string> In(DirectorySnapshot snapshot)
    {
        var cached = Volatile.Read(ref _cached);
        if (ReferenceEquals(cached.Snapshot, snapshot))
        {
            return cached.Names;
        }

        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var partition in snapshot.Partitions)
        {
            foreach (var replica in partition.Replicas)
            {
                if ((!servingOnly || replica.State == PartitionState.Serving) && replica.Labels.TryGetValue(Label, out var services))
                {
                    // A label is a registrant's text: only names that follow the rule are taken from it.
                    foreach (var name in services.Split(','))
                    {
                        if (SafeName.IsValid(name))
                        {
                            names.Add(name);
                        }
                    }
                }
            }
        }

        var computed = new Cached(snapshot, names.ToFrozenSet(StringComparer.Ordinal));
        Volatile.Write(ref _cached, computed);
        return computed.Names;
    }

    private sealed record Cached(DirectorySnapshot? Snapshot, FrozenSet<string> Names);
}
