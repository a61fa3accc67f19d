namespace Partitioned.Protocol;

/// <summary>
/// Body of <c>POST /v1/failures</c>: a partition attempt tells the coordinator why it failed (for example,
/// the exception its initialisation threw), so the driver can name the cause when it gives up waiting.
/// </summary>
/// <param name="Partition">The partition index.</param>
/// <param name="Attempt">The attempt that failed.</param>
/// <param name="Message">What went wrong, in words a person can act on.</param>
public sealed record FailureReport(int Partition, int Attempt, string Message);
