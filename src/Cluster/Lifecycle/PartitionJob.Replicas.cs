namespace Partitioned.Clustering;

/// <summary>What replicas add to a partition's job: placing siblings apart, and one result set per partition.</summary>
internal sealed partial class PartitionJob<TRow, TResult>
{
    private static readonly TimeSpan s_siblingPlacementWait = TimeSpan.FromSeconds(20);

    // One result set per partition: the first replica's that produced results, or the user's merge of every replica's.
    private async Task<IReadOnlyList<TResult>> CombineAsync(int partition, Task<IReadOnlyList<TResult>>[] lines)
    {
        await ((Task)Task.WhenAll(lines)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        var produced = lines.Where(static l => l.IsCompletedSuccessfully).Select(static l => l.Result).ToList();
        if (produced.Count == 0)
        {
            if (lines[0].Exception?.InnerException is PartitionFailedException failure && !_stopping)
            {
                _firstPartitionFailure.TrySetResult(failure);
            }

            await lines[0].ConfigureAwait(false);
        }

        return _settings.MergeReplicaResults is { } merge && lines.Length > 1 ? merge(partition, produced) : produced[0];
    }

    // The nodes the partition's other replicas run on now, so a runner with nodes can place this one apart.
    private IReadOnlyList<string> SiblingNodes(int partition, int replica)
    {
        var nodes = new List<string>();
        lock (_gate)
        {
            for (var other = 0; other < Replicas; other++)
            {
                if (other != replica && _lines[partition][other] is { } line && !line.Attempt.IsEnded && line.Attempt.Node is { } node)
                {
                    nodes.Add(node);
                }
            }
        }

        return nodes;
    }

    // On a runner with nodes, a replica's first launch waits (a little) until its lower siblings are placed, so the
    // runner knows which nodes to avoid; replicas launched all at once would otherwise land wherever the engine likes.
    private async Task WaitForSiblingPlacementAsync(int partition, int replica)
    {
        if (replica == 0 || !_settings.Options.Runner.PartitionsRunElsewhere)
        {
            return;
        }

        // Real time, not the cluster's clock: this waits for an engine outside the process, which a test clock does not drive.
        var deadline = Environment.TickCount64 + (long)s_siblingPlacementWait.TotalMilliseconds;
        while (!_stopping && Environment.TickCount64 < deadline)
        {
            var placed = true;
            for (var sibling = 0; sibling < replica; sibling++)
            {
                // A lower sibling not launched yet is not placed yet: its line starts concurrently with this one.
                placed &= Line(partition, sibling) is { } line && (line.Attempt.IsEnded || line.Attempt.Node is not null);
            }

            if (placed)
            {
                return;
            }

            await Task.Delay(50).ConfigureAwait(false);
        }
    }
}
