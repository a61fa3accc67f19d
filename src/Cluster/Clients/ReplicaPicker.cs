#if PARTITIONED_CLIENT
namespace Partitioned.Client;
#else
using Partitioned.Coordination;

namespace Partitioned.Clustering;
#endif

/// <summary>
/// Spreads a partition's requests over its serving replicas (round robin), and sets aside for a moment a replica
/// a request just failed to reach, so the next requests move off a dead replica before the coordinator notices it.
/// </summary>
internal sealed class ReplicaPicker(TimeProvider timeProvider)
{
    private static readonly TimeSpan s_suspicion = TimeSpan.FromSeconds(2);

    private readonly Dictionary<Uri, long> _suspects = [];
    private int _next;

    /// <summary>Picks a serving replica's endpoint of <paramref name="entry"/> other than <paramref name="excluding"/>, or null when none.</summary>
    public Uri? Pick(PartitionEntry entry, Uri? excluding = null)
    {
        var replicas = entry.Replicas;
        var count = replicas.Length;
        if (count <= 1)
        {
            return entry.LiveEndpoint is { } only && only != excluding ? only : null;
        }

        var now = timeProvider.GetTimestamp();
        var start = (int)((uint)Interlocked.Increment(ref _next) % (uint)count);
        Uri? fallback = null;
        for (var i = 0; i < count; i++)
        {
            var candidate = replicas[(start + i) % count].LiveEndpoint;
            if (candidate is null || candidate == excluding)
            {
                continue;
            }

            if (!IsSuspect(candidate, now))
            {
                return candidate;
            }

            fallback ??= candidate;
        }

        // Every live replica is suspect: better to try one than to refuse outright.
        return fallback;
    }

    /// <summary>A request could not reach <paramref name="endpoint"/>: pick other replicas for a moment.</summary>
    public void Suspect(Uri endpoint)
    {
        var until = timeProvider.GetTimestamp() + (long)(s_suspicion.TotalSeconds * timeProvider.TimestampFrequency);
        lock (_suspects)
        {
            _suspects[endpoint] = until;
        }
    }

    private bool IsSuspect(Uri endpoint, long now)
    {
        lock (_suspects)
        {
            if (_suspects.Count == 0)
            {
                return false;
            }

            if (_suspects.TryGetValue(endpoint, out var until))
            {
                if (until > now)
                {
                    return true;
                }

                _suspects.Remove(endpoint);
            }

            return false;
        }
    }
}
