namespace Partitioned.Protocol;

/// <summary>
/// Body of <c>POST /v1/executors/{executor}/attempts</c>: an executor an engine launched (token file mode) asks for up to
/// <paramref name="Free"/> partition attempts to run and says which it runs now. It asks every 2 s; the answer is also how it
/// learns which of its attempts are over.
/// </summary>
/// <param name="Incarnation">A value the executor process chose at start (random): an engine's retry of the same executor is another incarnation, which replaces the first.</param>
/// <param name="Free">How many more attempts it can take (0 to its slots).</param>
/// <param name="Running">The attempts it runs now.</param>
/// <param name="Node">Optional: the node it runs on, for placement decisions (exclude on failure).</param>
public sealed record ExecutorAttemptsRequest(string Incarnation, int Free, IReadOnlyList<AttemptAssignment> Running, string? Node = null);
