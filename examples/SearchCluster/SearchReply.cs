namespace SearchCluster;

/// <summary>What <c>GET /app/search</c> of one partition answers: its own best hits.</summary>
/// <param name="Partition">The partition that answered.</param>
/// <param name="Hits">Its top-k documents, best first.</param>
public sealed record SearchReply(int Partition, IReadOnlyList<SearchHit> Hits);
