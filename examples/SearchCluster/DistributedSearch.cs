using Partitioned.Clustering;
using Partitioned.Routing;

namespace SearchCluster;

/// <summary>
/// A query's scatter-gather: ask every partition for its top-k (scatter), merge them into the global top-k (gather).
/// On the driver through the <see cref="Cluster{TRow, TResult}"/>; in another process through a remote client
/// (<see cref="RemoteSearch"/>): the same partitions, the same merge.
/// </summary>
public sealed class DistributedSearch(Func<string, CancellationToken, Task<IEnumerable<SearchReply>>> scatter)
{
    /// <summary>Searches through the driver's cluster.</summary>
    public DistributedSearch(Cluster<Document, IndexSummary> cluster)
        : this(async (path, cancellationToken) => (await cluster.ScatterGetAsync<SearchReply>(path, new ScatterOptions { RequireAll = true }, cancellationToken: cancellationToken)).Values)
    {
    }

    /// <summary>The corpus's best <paramref name="k"/> documents for <paramref name="query"/>.</summary>
    /// <exception cref="ScatterFailedException">A partition failed to answer (the message says which and why).</exception>
    public async Task<IReadOnlyList<SearchHit>> SearchAsync(string query, int k, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        var path = $"search?q={Uri.EscapeDataString(query)}&k={k}";
        var replies = await scatter(path, cancellationToken);

        // Every partition scored with the same corpus-wide statistics, so a document's score is the same wherever it
        // lives, and the best k of the partitions' best k are the corpus's best k.
        return SearchHit.TopK(replies.SelectMany(static r => r.Hits), k);
    }
}
