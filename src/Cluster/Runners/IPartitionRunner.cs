namespace Partitioned.Clustering;

/// <summary>
/// The engine seam (the "mapPartitions job"): runs one attempt of one partition's server wherever the runner
/// puts partitions (in this process, in a child process, on another machine).
/// </summary>
/// <remarks>
/// The cluster calls <see cref="RunAttemptAsync"/> once per attempt, concurrently for all partitions, and owns
/// the rest of the contract: it re-launches a failed attempt with the next attempt number (up to
/// <see cref="ClusterOptions.MaxAttempts"/>), reports every attempt's outcome, and stops an attempt by sending
/// its server <c>POST /control/shutdown</c>. A runner only has to start the server and report how it ended.
/// </remarks>
public interface IPartitionRunner
{
    /// <summary>A short name for logs and errors, such as "in-process".</summary>
    string Name { get; }

    /// <summary>
    /// True when partitions run on other machines. The cluster then refuses, at start, addresses those machines
    /// cannot reach: a coordinator or partition servers bound to loopback. Default false.
    /// </summary>
    bool PartitionsRunElsewhere => false;

    /// <summary>
    /// Runs one attempt: the server initialises from the partition's rows, registers with the coordinator,
    /// serves until shut down and produces results.
    /// </summary>
    /// <returns>The attempt's result rows, once the server stopped after a shutdown.</returns>
    /// <exception cref="Exception">Any exception means the attempt failed; its message is reported as the attempt's error.</exception>
    /// <param name="attempt">Which partition and attempt, its rows, the server to run.</param>
    /// <param name="cancellationToken">Abandons the attempt: stop it at once, without results.</param>
    Task<IReadOnlyList<TResult>> RunAttemptAsync<TRow, TResult>(PartitionAttempt<TRow, TResult> attempt, CancellationToken cancellationToken);
}
