namespace SearchCluster;

/// <summary>One document that matched a query, with its BM25 score.</summary>
/// <param name="DocumentId">The document's id.</param>
/// <param name="Title">The document's title.</param>
/// <param name="Score">The BM25 score under the corpus-wide statistics.</param>
public sealed record SearchHit(string DocumentId, string Title, double Score)
{
    /// <summary>Best first: higher score, then document id (ordinal), so every ranking is total and repeatable.</summary>
    public static IComparer<SearchHit> Ranking { get; } = Comparer<SearchHit>.Create(static (x, y) =>
    {
        var byScore = y.Score.CompareTo(x.Score);
        return byScore != 0 ? byScore : string.CompareOrdinal(x.DocumentId, y.DocumentId);
    });

    /// <summary>The best <paramref name="k"/> hits of <paramref name="hits"/>: how the driver merges the partitions' top-k lists.</summary>
    public static IReadOnlyList<SearchHit> TopK(IEnumerable<SearchHit> hits, int k) => [.. hits.Order(Ranking).Take(k)];
}
