using Partitioned.Clustering;
using Partitioned.Coordination;
using Partitioned.Examples;
using Partitioned.Server;

namespace SearchCluster;

/// <summary>Where the example's partitions run: the cluster options for the chosen runner, and a local Slurm cluster when asked.</summary>
internal sealed class ClusterPlacement : IAsyncDisposable
{
    private readonly bool _stopLocalSlurm;
    private readonly int _instance;

    private ClusterPlacement(ClusterOptions options, bool stopLocalSlurm, int instance = 0)
    {
        Options = options;
        _stopLocalSlurm = stopLocalSlurm;
        _instance = instance;
    }

    public ClusterOptions Options { get; }

    /// <summary>Options for <paramref name="search"/>'s runner; with <c>--local-slurm</c>, starts the local Slurm cluster (and stops it at the end if it started it).</summary>
    public static async Task<ClusterPlacement> CreateAsync(SearchOptions search, ILoggerFactory loggerFactory)
    {
        var options = new ClusterOptions { LoggerFactory = loggerFactory };
        switch (search.Runner)
        {
            case "in-process":
                return new ClusterPlacement(options with { Runner = InProcessRunner.Instance }, stopLocalSlurm: false);
            case "process":
                return new ClusterPlacement(options with { Runner = new ProcessRunner() }, stopLocalSlurm: false);
        }

        if (!search.LocalSlurm)
        {
            // A real cluster: every address reachable from the nodes; they dial this machine by the name or address given.
            // Partitions on other machines get automatic TLS by default: an in-memory authority for this run.
            return new ClusterPlacement(options with
            {
                Runner = new SlurmRunner(new SlurmRunnerOptions { ConfigFile = search.SlurmConfig }),
                CoordinatorBindAddress = "0.0.0.0",
                CoordinatorAdvertisedHost = search.Host,
                Server = new PartitionServerOptions { BindAddress = "0.0.0.0" },
            }, stopLocalSlurm: false);
        }

        var instance = LocalSlurm.EnvironmentInstance;
        var alreadyRunning = await LocalSlurm.IsRunningAsync(instance);
        Console.WriteLine(alreadyRunning ? "Local Slurm cluster: already running." : "Local Slurm cluster: starting 3 nodes (scripts/slurm-local.sh start) ...");
        var slurm = await LocalSlurm.StartAsync(instance);
        return new ClusterPlacement(options with
        {
            Runner = new SlurmRunner(new SlurmRunnerOptions { ConfigFile = slurm.ConfigFile, WorkersOnOtherHosts = slurm.NodesElsewhere }),
            CoordinatorBindAddress = slurm.HostAddress,
            // TLS on every hop, as on a real cluster, even where the nodes share this machine's loopback.
            Transport = TransportSecurity.Automatic(driverHosts: [slurm.HostAddress]),
            Server = new PartitionServerOptions { BindAddress = slurm.NodesElsewhere ? "0.0.0.0" : "127.0.0.1" },
        }, stopLocalSlurm: !alreadyRunning, instance);
    }

    public async ValueTask DisposeAsync()
    {
        if (_stopLocalSlurm)
        {
            Console.WriteLine("Local Slurm cluster: stopping (it was started for this run).");
            await LocalSlurm.StopAsync(_instance);
        }
    }
}
