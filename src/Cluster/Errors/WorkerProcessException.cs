using Partitioned.Coordination;

namespace Partitioned.Clustering;

/// <summary>
/// A partition attempt run in a worker process (<see cref="ProcessRunner"/>, <see cref="SlurmRunner"/>) failed: the
/// worker could not be started, exited with a non-zero code (or with 0 before posting its results), was killed by a
/// signal, or stopped answering health checks and was stopped by force. The message names the partition, attempt, exit code and what it
/// means, and quotes the tail of the worker's standard error.
/// </summary>
public sealed class WorkerProcessException : PartitionedException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="partition">The partition.</param>
    /// <param name="attempt">The attempt.</param>
    /// <param name="exitCode">The worker's exit code, or null when it never ran.</param>
    /// <param name="failure">What happened, for example "exited with code 3 (the partition attempt failed)".</param>
    /// <param name="standardErrorTail">The last lines the worker wrote to standard error.</param>
    /// <param name="innerException">The exception that caused it, if any.</param>
    public WorkerProcessException(int partition, int attempt, int? exitCode, string failure, IReadOnlyList<string> standardErrorTail, Exception? innerException = null)
        : base(Format(partition, attempt, failure, standardErrorTail), innerException)
    {
        ArgumentNullException.ThrowIfNull(standardErrorTail);
        Partition = partition;
        Attempt = attempt;
        ExitCode = exitCode;
        StandardErrorTail = standardErrorTail;
    }

    /// <summary>The partition.</summary>
    public int Partition { get; }

    /// <summary>The attempt.</summary>
    public int Attempt { get; }

    /// <summary>The worker's exit code (128 + the signal number for a worker killed by a signal on Unix), or null when it never started.</summary>
    public int? ExitCode { get; }

    /// <summary>The last lines the worker wrote to standard error, oldest first (at most <see cref="WorkerOptions.StandardErrorTailLines"/>).</summary>
    public IReadOnlyList<string> StandardErrorTail { get; }

    /// <summary>The node the worker ran on, when known (a Slurm node, or this machine for the process runner).</summary>
    public string? Node { get; init; }

    private static string Format(int partition, int attempt, string failure, IReadOnlyList<string> tail)
    {
        var head = $"worker for partition {partition} attempt {attempt} {failure}";
        return tail is null || tail.Count == 0
            ? $"{head}; it wrote nothing to standard error"
            : string.Join(Environment.NewLine, tail.Select(static line => "    | " + line).Prepend($"{head}; stderr tail:"));
    }
}
