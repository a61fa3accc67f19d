using System.Globalization;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;
using Partitioned.Protocol;
using Partitioned.Security;

namespace Partitioned.Server;

/// <summary>
/// The launch data a worker reads from its environment (never the token itself). A driver that starts its workers
/// sets every variable; an engine that launches workers on its own (token file mode) may leave out the attempt
/// (the coordinator assigns one), the cluster id and the server name (both come with the launch data).
/// </summary>
/// <param name="Coordinator">The coordinator's base address.</param>
/// <param name="ClusterId">The cluster run, when the launcher said; checked against the launch data.</param>
/// <param name="Partition">The partition index.</param>
/// <param name="Attempt">The attempt number, or null when the coordinator assigns it.</param>
/// <param name="Server">The server definition's name, when the launcher said; checked against the launch data.</param>
/// <param name="ParentPid">The driver's process id to watch, or 0 for none.</param>
/// <param name="TokenFile">The file holding the token, or null when it comes on standard input.</param>
/// <param name="Node">The node name to report when registering.</param>
/// <param name="LogLevel">The worker's minimum log level.</param>
/// <param name="TrustedAuthorities">Under TLS, the authorities to trust; empty in cleartext.</param>
/// <param name="TokenSealed">True when the token on standard input comes sealed (<c>PARTITIONED_TOKEN_SEALED=1</c>).</param>
internal sealed record WorkerEnvironment(Uri Coordinator, string? ClusterId, int Partition, int? Attempt, string? Server, int ParentPid, string? TokenFile, string Node, LogLevel LogLevel, IReadOnlyList<X509Certificate2> TrustedAuthorities, bool TokenSealed = false)
{
    /// <summary>The executor's id when this process is an executor (it hosts several attempts; <see cref="Partition"/> is then -1), else null.</summary>
    public string? Executor { get; init; }

    /// <summary>How many attempts an executor hosts at once (1 for a worker of one attempt).</summary>
    public int Slots { get; init; } = 1;

    /// <summary>Reads and checks every variable; returns null and lists every problem when any is missing or invalid.</summary>
    public static WorkerEnvironment? Parse(Func<string, string?> variable, out IReadOnlyList<string> problems)
    {
        var found = new List<string>();
        var worker = variable(WorkerProtocol.WorkerVariable);
        if (worker != "1")
        {
            found.Add($"{WorkerProtocol.WorkerVariable} is {(worker is null ? "not set" : $"'{worker}'")}: this process was not started as a partition worker (check PartitionWorker.IsWorkerProcess first).");
        }

        var coordinatorText = Required(WorkerProtocol.CoordinatorVariable, "the coordinator's address, such as http://127.0.0.1:41234/");
        Uri? coordinator = null;
        if (coordinatorText is not null && (!Uri.TryCreate(coordinatorText, UriKind.Absolute, out coordinator) || (coordinator.Scheme != Uri.UriSchemeHttp && coordinator.Scheme != Uri.UriSchemeHttps)))
        {
            found.Add($"{WorkerProtocol.CoordinatorVariable} must be an absolute http or https address (was '{coordinatorText}').");
            coordinator = null;
        }

        var tokenFile = Optional(WorkerProtocol.TokenFileVariable);
        var engineLaunched = tokenFile is not null;

        // An executor hosts several attempts: which ones come later (commands on standard input, or from the coordinator).
        var executor = Optional(WorkerProtocol.ExecutorVariable);
        if (executor is not null && !ExecutorProtocol.IsExecutorId(executor))
        {
            found.Add($"{WorkerProtocol.ExecutorVariable} must be 1 to 64 ASCII letters, digits, '.', '_' or '-' (was '{executor}').");
        }

        var slots = executor is null ? 1 : Number(WorkerProtocol.ExecutorSlotsVariable, "how many partition attempts the executor hosts at once", required: true) ?? 1;
        if (slots < 1)
        {
            found.Add($"{WorkerProtocol.ExecutorSlotsVariable} must be at least 1 (was {slots}).");
        }

        // A driver that starts its own workers names everything; an engine-launched worker learns the rest from the coordinator.
        var clusterId = engineLaunched ? Optional(WorkerProtocol.ClusterIdVariable) : Required(WorkerProtocol.ClusterIdVariable, "the id of the cluster run");
        var partition = executor is null ? Number(WorkerProtocol.PartitionVariable, "the partition index", required: true) : -1;
        var attempt = executor is null ? Number(WorkerProtocol.AttemptVariable, "the attempt number (leave it out, with a token file, to have the coordinator assign one)", required: !engineLaunched) : null;
        var server = engineLaunched ? Optional(WorkerProtocol.ServerVariable) : Required(WorkerProtocol.ServerVariable, "the name of the server definition to run");
        var parentPid = Number(WorkerProtocol.ParentPidVariable, "the driver's process id (0 when the driver is not a local process)", required: !engineLaunched) ?? 0;

        var logLevel = LogLevel.Information;
        if (variable(WorkerProtocol.LogLevelVariable) is { Length: > 0 } levelText && (!Enum.TryParse(levelText, ignoreCase: true, out logLevel) || !Enum.IsDefined(logLevel)))
        {
            found.Add($"{WorkerProtocol.LogLevelVariable} must be a log level name such as Information or Debug (was '{levelText}').");
        }

        // An https coordinator is trusted only through the authorities the launcher gave, never the machine's store.
        IReadOnlyList<X509Certificate2> authorities = [];
        if (Optional(WorkerProtocol.TrustedAuthoritiesVariable) is { } authoritiesText)
        {
            if (!CertificateText.TryDecode(authoritiesText, out authorities))
            {
                found.Add($"{WorkerProtocol.TrustedAuthoritiesVariable} must hold certificates (DER in Base64, comma-separated).");
            }
        }
        else if (coordinator?.Scheme == Uri.UriSchemeHttps)
        {
            found.Add($"{WorkerProtocol.TrustedAuthoritiesVariable} is not set: with an https coordinator it must hold the certificate authorities to trust (DER in Base64, comma-separated); EngineLaunch.WorkerEnvironment sets it.");
        }

        // The node is what the worker calls its machine: the launcher's word, Slurm's node name, or the host name.
        var node = Optional(WorkerProtocol.NodeVariable) ?? Optional("SLURMD_NODENAME") ?? Environment.MachineName;

        problems = found;
        return found.Count == 0
            ? new WorkerEnvironment(coordinator!, clusterId, partition!.Value, attempt, server, parentPid, tokenFile, node, logLevel, authorities, variable(WorkerProtocol.TokenSealedVariable) == "1")
            {
                Executor = executor,
                Slots = slots,
            }
            : null;

        string? Optional(string name) => variable(name) is { } value && !string.IsNullOrWhiteSpace(value) ? value : null;

        string? Required(string name, string meaning)
        {
            if (Optional(name) is { } value)
            {
                return value;
            }

            found.Add($"{name} is not set: it must hold {meaning}.");
            return null;
        }

        int? Number(string name, string meaning, bool required)
        {
            if ((required ? Required(name, meaning) : Optional(name)) is not { } text)
            {
                return null;
            }

            if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value))
            {
                found.Add($"{name} must be an integer of at least 0 (was '{text}').");
                return null;
            }

            return value;
        }
    }
}
