using System.Globalization;
using Microsoft.Extensions.Logging;
using Partitioned.Shared;

namespace Partitioned.Server;

/// <summary>The launch data a driver passes to a worker process in environment variables (never the token). A parent pid of 0 means none to watch.</summary>
internal sealed record WorkerEnvironment(Uri Coordinator, string ClusterId, int Partition, int Attempt, string Server, int ParentPid, LogLevel LogLevel)
{
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

        var clusterId = Required(WorkerProtocol.ClusterIdVariable, "the id of the cluster run");
        var partition = Number(WorkerProtocol.PartitionVariable, "the partition index", minimum: 0);
        var attempt = Number(WorkerProtocol.AttemptVariable, "the attempt number", minimum: 0);
        var server = Required(WorkerProtocol.ServerVariable, "the name of the server definition to run");
        var parentPid = Number(WorkerProtocol.ParentPidVariable, "the driver's process id (0 when the driver is not a local process)", minimum: 0);

        var logLevel = LogLevel.Information;
        if (variable(WorkerProtocol.LogLevelVariable) is { Length: > 0 } levelText && (!Enum.TryParse(levelText, ignoreCase: true, out logLevel) || !Enum.IsDefined(logLevel)))
        {
            found.Add($"{WorkerProtocol.LogLevelVariable} must be a log level name such as Information or Debug (was '{levelText}').");
        }

        problems = found;
        return found.Count == 0
            ? new WorkerEnvironment(coordinator!, clusterId!, partition!.Value, attempt!.Value, server!, parentPid!.Value, logLevel)
            : null;

        string? Required(string name, string meaning)
        {
            var value = variable(name);
            if (string.IsNullOrWhiteSpace(value))
            {
                found.Add($"{name} is not set: it must hold {meaning}.");
                return null;
            }

            return value;
        }

        int? Number(string name, string meaning, int minimum)
        {
            if (Required(name, meaning) is not { } text)
            {
                return null;
            }

            if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) || value < minimum)
            {
                found.Add($"{name} must be an integer of at least {minimum} (was '{text}').");
                return null;
            }

            return value;
        }
    }
}
