namespace Partitioned.Server;

/// <summary>
/// The exit codes of a worker process (see <see cref="PartitionWorker"/>). A driver treats every code but
/// <see cref="Succeeded"/> as a failed attempt; the codes only make its error message precise.
/// </summary>
public static class WorkerExitCodes
{
    /// <summary>The attempt ran, stopped on request, and its results were accepted by the driver.</summary>
    public const int Succeeded = 0;

    /// <summary>The worker could not start the attempt: launch variables missing or invalid, no token on standard input,
    /// an unknown server name, settings that do not deserialise, or the driver refused the launch.</summary>
    public const int InvalidLaunch = 2;

    /// <summary>The attempt failed: the server's initialisation threw, it could not listen or register, or its results were refused.</summary>
    public const int AttemptFailed = 3;

    /// <summary>The attempt was abandoned: the driver closed the worker's standard input or exited, the run was cancelled,
    /// or the coordinator answered that the attempt is over (410 Gone: it ended, was marked lost, or a newer one replaced it).</summary>
    public const int Abandoned = 4;
}
