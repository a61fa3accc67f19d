namespace SearchCluster;

/// <summary>What a partition reports about its index (<c>GET /app/stats</c>) and hands back as its result when it stops.</summary>
/// <param name="Partition">The partition.</param>
/// <param name="Documents">Documents indexed.</param>
/// <param name="Terms">Distinct terms in the partition.</param>
/// <param name="Postings">(term, document) pairs.</param>
/// <param name="BuildMilliseconds">How long building the index took, reading the rows included.</param>
/// <param name="Queries">Queries answered so far.</param>
/// <param name="ProcessId">The process the partition runs in.</param>
public sealed record IndexSummary(int Partition, int Documents, int Terms, long Postings, double BuildMilliseconds, long Queries, int ProcessId);
