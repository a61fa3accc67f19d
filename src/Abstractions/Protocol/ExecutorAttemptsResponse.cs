namespace Partitioned.Protocol;

/// <summary>Reply of <c>POST /v1/executors/{executor}/attempts</c>.</summary>
/// <param name="Assigned">Attempts this executor runs from now on (at most the free slots it said).</param>
/// <param name="Over">Attempts it said it runs that are over (ended, lost, replaced): it must stop them, and nothing they send counts.</param>
public sealed record ExecutorAttemptsResponse(IReadOnlyList<AttemptAssignment> Assigned, IReadOnlyList<AttemptAssignment> Over);
