using Partitioned.Coordination;
using Partitioned.Directories;
using Partitioned.Routing;
using Partitioned.Shared;

namespace Partitioned.Serving;

/// <summary>
/// The head node's rules, read from the directory: which attempt may take work and be heard (<see cref="Of"/>), and which
/// held requests a directory change sends back to the queue (<see cref="ShouldReplay"/>). <see cref="PendingRequests"/>
/// applies them under its lock.
/// </summary>
internal static class StandingRules
{
    /// <summary>
    /// Whether attempt <paramref name="attempt"/> of <paramref name="partition"/> may take work now. Fenced: a newer attempt
    /// replaced it, or its replica failed or stopped (it never takes work again). Lost: declared lost (a node cut off, say);
    /// it takes nothing until it answers health checks again, and what it held was replayed. Suspected while another
    /// attempt stands well: it takes nothing new for now (as routers send a suspect nothing), but its answers are heard.
    /// Otherwise current.
    /// </summary>
    public static AttemptStanding Of(DirectorySnapshot snapshot, int partition, int attempt)
    {
        var replicas = snapshot[partition].Replicas;
        foreach (var replica in replicas)
        {
            if (replica.Attempt == attempt)
            {
                return replica.State switch
                {
                    PartitionState.Serving when replica.Suspected && snapshot.Partitions.Any(static p => p.HasHealthyReplica) => AttemptStanding.Suspected,
                    PartitionState.Serving => AttemptStanding.Current,
                    PartitionState.Lost => AttemptStanding.Lost,
                    _ => AttemptStanding.Fenced,
                };
            }
        }

        // Not a replica's attempt: stale if a replica runs a newer one; else a coordinator that admits any attempt.
        return replicas.Any(r => r.Attempt > attempt) ? AttemptStanding.Fenced : AttemptStanding.Current;
    }

    /// <summary>
    /// Which requests <paramref name="change"/> sends back to the front of their queue: those held by attempts of its
    /// partition up to <paramref name="upToAttempt"/> that <paramref name="which"/> selects. An attempt that dies or is
    /// declared dead (lost, failed, errored) gives back what it held unanswered, unless it is a serving sibling's (attempt
    /// numbers are unique per partition across replicas). An attempt suspected (a health check failed: it may be cut off
    /// the network) while another one stands well gives back at once the requests it holds for services it announced as
    /// idempotent: they may run twice, and the first answer wins (the suspect's own included, should it come). An attempt
    /// merely replaced (a rolling update) drains what it holds and answers it: its requests are replayed only if it ends
    /// without answering (<see cref="PendingRequests.OnAttemptEnded"/>), so a handler never runs twice because of an update.
    /// </summary>
    /// <returns>False when the change replays nothing.</returns>
    public static bool ShouldReplay(PartitionChange change, out int upToAttempt, out Func<HeadNodeRequest, bool> which)
    {
        if (change.Kind == PartitionChangeKind.Suspected && change.Replica is { Suspected: true } suspect
            && change.Snapshot.Partitions.Any(static p => p.HasHealthyReplica))
        {
            upToAttempt = suspect.Attempt;
            which = request => ResendRules.AnnouncesIdempotent(suspect.Labels, request.Service);
            return true;
        }

        upToAttempt = change.Kind switch
        {
            PartitionChangeKind.Lost or PartitionChangeKind.ErrorReported => change.Attempt,
            PartitionChangeKind.Failed => int.MaxValue,
            _ => -1,
        };
        if (upToAttempt < 0)
        {
            which = static _ => false;
            return false;
        }

        var live = change.Snapshot[change.Partition].Replicas.Where(static r => r.State == PartitionState.Serving).Select(static r => r.Attempt).ToHashSet();
        which = request => !live.Contains(request.HeldByAttempt);
        return true;
    }
}
