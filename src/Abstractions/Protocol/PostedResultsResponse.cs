namespace Partitioned.Protocol;

/// <summary>Reply of <c>POST /v1/attempts/{partition}/{attempt}/results</c>: the results were accepted.</summary>
/// <param name="Partition">The partition index.</param>
/// <param name="Attempt">The attempt whose results these are.</param>
/// <param name="Count">How many result rows were accepted.</param>
public sealed record PostedResultsResponse(int Partition, int Attempt, int Count);
