using Partitioned.Clustering;

namespace SearchCluster;

/// <summary>The driver's side of a query: ask every partition for its top-k (scatter), merge them into the global top-k (gather).</summary>
public sealed class DistributedSearch(Cluster<Document, IndexSummary> cluster)
{
    /// <summary>The corpus's best <paramref name="k"/> documents for <paramref name="query"/>.</summary>
    /// <exception cref="ScatterFailedException">A partition failed to answer (the message says which and why).</exception>
    public async Task<IReadOnlyList<SearchHit>> SearchAsync(string query, int k, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        var path = $"search?q={Uri.EscapeDataString(query)}&k={k}";
        var replies = await cluster.ScatterGetAsync<SearchReply>(path, new ScatterOptions { RequireAll = true }, cancellationToken: cancellationToken);

        // Every partition scored with the same corpus-wide statistics, so a document's score is the same wherever it
        // lives, and the best k of the partitions' best k are the corpus's best k.
        return SearchHit.TopK(replies.Values.SelectMany(static r => r.Hits), k);
    }
}
