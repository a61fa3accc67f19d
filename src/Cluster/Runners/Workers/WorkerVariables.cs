using System.Globalization;
using Partitioned.Protocol;
using Partitioned.Security;
using Partitioned.Server;
using Partitioned.Shared;

namespace Partitioned.Clustering;

/// <summary>The worker protocol's launch variables every worker process gets (never the token), with the user's own.</summary>
internal static class WorkerVariables
{
    /// <summary>The variables of a worker of one attempt and of an executor alike; each adds what names its work.</summary>
    public static Dictionary<string, string?> Common(WorkerOptions options, bool workerIsChild, Uri coordinator, string clusterId, string server, PartitionTls? tls)
    {
        var environment = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var (name, value) in options.EnvironmentVariables)
        {
            environment[name] = value;
        }

        environment[WorkerProtocol.WorkerVariable] = "1";
        environment[WorkerProtocol.CoordinatorVariable] = coordinator.ToString();
        environment[WorkerProtocol.ClusterIdVariable] = clusterId;
        environment[WorkerProtocol.ServerVariable] = server;
        environment[WorkerProtocol.ParentPidVariable] = workerIsChild ? Environment.ProcessId.ToString(CultureInfo.InvariantCulture) : "0";
        environment[WorkerProtocol.LogLevelVariable] = options.WorkerLogLevel.ToString();
        if (tls is not null)
        {
            // Public certificates: the worker must trust the coordinator before it first calls it.
            environment[WorkerProtocol.TrustedAuthoritiesVariable] = CertificateText.Encode(tls.TrustedAuthorities);

            // And the token travels sealed: a launcher may relay standard input over the network in cleartext.
            environment[WorkerProtocol.TokenSealedVariable] = "1";
        }

        return environment;
    }
}
