namespace Partitioned.Serving;

/// <summary>Body of <c>POST /v1/serving/{service}/pull</c>: which attempt asks, and how many requests it can take.</summary>
internal sealed record PullRequest(int Partition, int Attempt, int Max);
