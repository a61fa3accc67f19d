using System.Collections.Concurrent;

namespace Partitioned.Coordination;

/// <summary>
/// The requests each replica said it had in flight when last health-checked (<c>PartitionHealth.InFlight</c>, counted by
/// the partition server itself, so it covers every caller: the gateway, the driver's clients, remote clients). The
/// autoscaler reads it; nothing else changes because of it.
/// </summary>
internal sealed class ReplicaLoads
{
    private readonly ConcurrentDictionary<(int Partition, int Attempt), int> _inFlight = new();

    /// <summary>Notes what attempt <paramref name="attempt"/> of <paramref name="partition"/> answered a health check with.</summary>
    public void Record(int partition, int attempt, int inFlight) => _inFlight[(partition, attempt)] = Math.Max(0, inFlight);

    /// <summary>The attempt's last reported in-flight count, or null before its first answer.</summary>
    public int? Read(int partition, int attempt) => _inFlight.TryGetValue((partition, attempt), out var count) ? count : null;

    /// <summary>Forgets every attempt <paramref name="keep"/> rejects (ended ones), so the table stays as big as the cluster.</summary>
    public void Retain(Func<int, int, bool> keep)
    {
        foreach (var key in _inFlight.Keys)
        {
            if (!keep(key.Partition, key.Attempt))
            {
                _inFlight.TryRemove(key, out _);
            }
        }
    }
}
