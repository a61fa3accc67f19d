namespace Partitioned.Clustering;

/// <summary>
/// Where a partition's next attempt may run: Spark's exclude-on-failure for Slurm. A node on which an attempt of the
/// partition died is avoided for its next attempts while other usable nodes exist (within <see cref="SlurmRunnerOptions.NodeList"/>
/// and outside <see cref="SlurmRunnerOptions.ExcludeNodes"/>); with no other node left, the attempt may go back there.
/// Likewise, the nodes the partition's other replicas run on are avoided while other usable nodes exist, so replicas
/// land on different machines.
/// </summary>
internal sealed class SlurmPlacement(SlurmTools tools, SlurmRunnerOptions options)
{
    /// <summary>The <c>--exclude</c> host list for an attempt whose partition made <paramref name="previous"/> attempts, or null for none.</summary>
    /// <exception cref="InvalidOperationException">Slurm could not list or expand the nodes.</exception>
    public async Task<string?> ExcludeAsync(IReadOnlyList<AttemptOutcome> previous, CancellationToken cancellationToken, IReadOnlyList<string>? siblings = null)
    {
        var failed = previous.Where(static a => a.Status == AttemptStatus.Failed && a.Node is not null).Select(static a => a.Node!).ToHashSet(StringComparer.Ordinal);
        var taken = (siblings ?? []).ToHashSet(StringComparer.Ordinal);
        if (failed.Count == 0 && taken.Count == 0 && options.NodeList is null)
        {
            return options.ExcludeNodes;
        }

        var inventory = await ListNodesAsync(cancellationToken).ConfigureAwait(false);
        var excluded = await ExpandAsync(options.ExcludeNodes, cancellationToken).ConfigureAwait(false);
        if (options.NodeList is not null)
        {
            var allowed = await ExpandAsync(options.NodeList, cancellationToken).ConfigureAwait(false);
            excluded.UnionWith(inventory.Keys.Where(node => !allowed.Contains(node)));
        }

        var others = inventory.Where(n => n.Value && !excluded.Contains(n.Key) && !failed.Contains(n.Key));
        if (others.Any())
        {
            excluded.UnionWith(failed);

            // Siblings' nodes come second: a node where this partition died is worse than one where its sibling lives.
            if (others.Any(n => !taken.Contains(n.Key)))
            {
                excluded.UnionWith(taken);
            }
        }

        return excluded.Count == 0 ? null : string.Join(',', excluded.Order(StringComparer.Ordinal));
    }

    /// <summary>The nodes executors may use now (usable, within the node list, outside the excluded ones), with their CPUs.</summary>
    /// <exception cref="InvalidOperationException">Slurm could not list or expand the nodes.</exception>
    public async Task<IReadOnlyList<(string Node, int Cpus)>> UsableNodesAsync(CancellationToken cancellationToken)
    {
        var cpus = new Dictionary<string, int>(StringComparer.Ordinal);
        var inventory = await ListNodesAsync(cancellationToken, cpus).ConfigureAwait(false);
        var excluded = await ExpandAsync(options.ExcludeNodes, cancellationToken).ConfigureAwait(false);
        var allowed = options.NodeList is null ? null : await ExpandAsync(options.NodeList, cancellationToken).ConfigureAwait(false);
        return [.. inventory.Where(n => n.Value && !excluded.Contains(n.Key) && (allowed is null || allowed.Contains(n.Key))).Select(n => (n.Key, cpus.GetValueOrDefault(n.Key, 1))).OrderBy(static n => n.Key, StringComparer.Ordinal)];
    }

    /// <summary>Every node of the partition, and whether it can take work now (not down, drained or unresponsive).</summary>
    private async Task<Dictionary<string, bool>> ListNodesAsync(CancellationToken cancellationToken, Dictionary<string, int>? cpus = null)
    {
        List<string> arguments = ["--noheader", "--Node", "--format=%N %T %c"];
        if (options.Partition is { } partition)
        {
            arguments.Add($"--partition={partition}");
        }

        var nodes = new Dictionary<string, bool>(StringComparer.Ordinal);
        foreach (var line in (await tools.RunAsync("sinfo", arguments, cancellationToken).ConfigureAwait(false)).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var parts = line.Split(' ', 3, StringSplitOptions.RemoveEmptyEntries);
            if (parts.Length >= 2)
            {
                // A node listed under several partitions appears more than once; usable anywhere is usable.
                nodes[parts[0]] = nodes.GetValueOrDefault(parts[0]) || IsUsable(parts[1]);
                if (cpus is not null && parts.Length == 3 && int.TryParse(parts[2], System.Globalization.CultureInfo.InvariantCulture, out var count))
                {
                    cpus[parts[0]] = count;
                }
            }
        }

        return nodes;
    }

    /// <summary>States that take work; a trailing '*' means the node does not respond.</summary>
    private static bool IsUsable(string state) =>
        !state.EndsWith('*') && state.TrimEnd('~', '#', '!', '%', '$', '@', '^', '-', '+') is "idle" or "mixed" or "allocated" or "completing" or "planned";

    /// <summary>The node names of a Slurm host list (<c>n[1-3]</c> is n1, n2, n3), as Slurm itself expands it.</summary>
    private async Task<HashSet<string>> ExpandAsync(string? hostList, CancellationToken cancellationToken)
    {
        if (hostList is null)
        {
            return new HashSet<string>(StringComparer.Ordinal);
        }

        var names = await tools.RunAsync("scontrol", ["show", "hostnames", hostList], cancellationToken).ConfigureAwait(false);
        return names.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet(StringComparer.Ordinal);
    }
}
