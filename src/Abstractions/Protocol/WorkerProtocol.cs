namespace Partitioned.Protocol;

/// <summary>
/// The names both halves of the worker protocol agree on: the environment variables a driver sets when it
/// starts a worker process, the media type of row and result streams, and the coordinator routes a worker
/// calls. The README documents them as a spec.
/// </summary>
internal static class WorkerProtocol
{
    /// <summary>Every protocol variable starts with this; a user's extra variables may not.</summary>
    public const string VariablePrefix = "PARTITIONED_";

    /// <summary>"1" in a process started as a partition worker.</summary>
    public const string WorkerVariable = "PARTITIONED_WORKER";

    /// <summary>The coordinator's base address, for example <c>http://127.0.0.1:41234/</c>.</summary>
    public const string CoordinatorVariable = "PARTITIONED_COORDINATOR";

    /// <summary>The id of the cluster run.</summary>
    public const string ClusterIdVariable = "PARTITIONED_CLUSTER_ID";

    /// <summary>The partition index.</summary>
    public const string PartitionVariable = "PARTITIONED_PARTITION";

    /// <summary>The attempt number; absent when the worker asks the coordinator for one (engine-launched workers).</summary>
    public const string AttemptVariable = "PARTITIONED_ATTEMPT";

    /// <summary>Which replica of the partition the attempt serves (informational: the launch data says the same).</summary>
    public const string ReplicaVariable = "PARTITIONED_REPLICA";

    /// <summary>A file holding the cluster token (mode 0600 or stricter), for workers an engine launched; otherwise the token comes on standard input.</summary>
    public const string TokenFileVariable = "PARTITIONED_TOKEN_FILE";

    /// <summary>Optional: the node name the worker reports when it registers. Default: Slurm's <c>SLURMD_NODENAME</c>, else the machine's name.</summary>
    public const string NodeVariable = "PARTITIONED_NODE";

    /// <summary>The name of the server definition to run.</summary>
    public const string ServerVariable = "PARTITIONED_SERVER";

    /// <summary>The driver's process id; the worker stops when that process is gone. 0: the driver is not a local process.</summary>
    public const string ParentPidVariable = "PARTITIONED_PARENT_PID";

    /// <summary>
    /// Under TLS: the certificate authorities the worker trusts (the coordinator's, other partitions'), each certificate's
    /// DER in Base64, comma-separated. Public, so it travels with the launch variables, as the coordinator's address does.
    /// </summary>
    public const string TrustedAuthoritiesVariable = "PARTITIONED_TLS_CA";

    /// <summary>
    /// "1" when the token on standard input travels sealed (under TLS: a launcher such as srun relays standard input over
    /// the network in cleartext): the worker first writes its ECDH public key on standard output (see <c>TokenSeal</c>).
    /// </summary>
    public const string TokenSealedVariable = "PARTITIONED_TOKEN_SEALED";

    /// <summary>
    /// The executor's id: set, the process is an executor that hosts several partition attempts at once (commands on
    /// standard input, or attempts asked from the coordinator in token file mode) instead of one.
    /// </summary>
    public const string ExecutorVariable = "PARTITIONED_EXECUTOR";

    /// <summary>How many partition attempts an executor hosts at once.</summary>
    public const string ExecutorSlotsVariable = "PARTITIONED_EXECUTOR_SLOTS";

    /// <summary>Optional: the minimum level of the worker's own log lines (a <c>LogLevel</c> name). Default Information.</summary>
    public const string LogLevelVariable = "PARTITIONED_LOG_LEVEL";

    /// <summary>Rows and results travel as newline-delimited JSON: one JSON value per line.</summary>
    public const string NdjsonMediaType = "application/x-ndjson";

    /// <summary>The launch route of an attempt, relative to the coordinator's base address.</summary>
    public static string AttemptPath(int partition, int attempt) => FormattableString.Invariant($"v1/attempts/{partition}/{attempt}");

    /// <summary>The route where an engine-launched worker asks for its attempt number.</summary>
    public static string AssignPath(int partition) => FormattableString.Invariant($"v1/attempts/{partition}");

    /// <summary>The route where an engine-launched executor asks for attempts (and says which it runs).</summary>
    public static string ExecutorAttemptsPath(string executor) => $"v1/executors/{Uri.EscapeDataString(executor)}/attempts";
}
