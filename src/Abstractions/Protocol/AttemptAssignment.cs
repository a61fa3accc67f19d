namespace Partitioned.Protocol;

/// <summary>
/// Reply of <c>POST /v1/attempts/{partition}</c>: the attempt number the coordinator assigned to a worker that an
/// engine launched (a Slurm array task, a Kubernetes Indexed Job pod), so the engine's own retries become attempts.
/// </summary>
/// <param name="Partition">The partition index.</param>
/// <param name="Attempt">The attempt the worker runs.</param>
public sealed record AttemptAssignment(int Partition, int Attempt);
