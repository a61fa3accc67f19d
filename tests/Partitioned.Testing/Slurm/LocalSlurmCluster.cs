using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Partitioned.Clustering;
using Partitioned.Coordination;
using Partitioned.Examples;
using Partitioned.Server;

namespace Partitioned.Testing.Slurm;

/// <summary>
/// A real three-node Slurm cluster on this machine, started (and installed, when missing) by
/// <c>scripts/slurm-local.sh</c>: each node a slurmd in a network namespace of its own, with its own address.
/// Tests share one through the <c>Slurm</c> collection; it is stopped when they are done.
/// </summary>
public sealed class LocalSlurmCluster : IAsyncDisposable
{
    private readonly LocalSlurm _slurm;

    private LocalSlurmCluster(LocalSlurm slurm) => _slurm = slurm;

    /// <summary>The cluster's slurm.conf (what SLURM_CONF must name).</summary>
    public string ConfigFile => _slurm.ConfigFile;

    /// <summary>This machine's address on the cluster network: where the coordinator listens for the nodes.</summary>
    public string HostAddress => _slurm.HostAddress;

    /// <summary><c>netns</c> (nodes at addresses of their own) or <c>loopback</c>.</summary>
    public string Mode => _slurm.NodesElsewhere ? "netns" : "loopback";

    /// <summary>The bridge the nodes' namespaces are joined to: the cluster network (netns mode only).</summary>
    public string Bridge => "pslurm" + Instance.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>The node names.</summary>
    public IReadOnlyList<string> Nodes { get; } = ["n1", "n2", "n3"];

    /// <summary>Which of the clusters that can run side by side this is (0 to 9).</summary>
    public int Instance => _slurm.Instance;

    /// <summary>
    /// Starts the cluster <paramref name="instance"/> (installing Slurm and munge with apt-get when missing) and waits
    /// until every node is up. Instances have their own namespaces, addresses and ports, so test collections that cut
    /// or kill nodes can each have one.
    /// </summary>
    public static async Task<LocalSlurmCluster> StartAsync(int instance = 0) => new(await LocalSlurm.StartAsync(instance));

    /// <summary>Runner options for the test worker on this cluster.</summary>
    public SlurmRunnerOptions RunnerOptions() => SlurmRunnerOptions.ForAssembly(TestWorkers.Dll) with
    {
        ConfigFile = ConfigFile,
        WorkersOnOtherHosts = _slurm.NodesElsewhere,
        KillGracePeriod = TimeSpan.FromSeconds(3),
    };

    /// <summary>
    /// Cluster options that put the test worker's partitions on this cluster's nodes, over automatic TLS (what a real
    /// cluster gets by default): call partitions from a test with <c>cluster.Transport.CreateHttpHandler()</c>.
    /// </summary>
    public ClusterOptions ClusterOptions(ILoggerFactory loggerFactory, SlurmRunnerOptions? runner = null) => TestClusters.Options(loggerFactory, new SlurmRunner(runner ?? RunnerOptions())) with
    {
        CoordinatorBindAddress = HostAddress,
        Transport = TransportSecurity.Automatic(driverHosts: [HostAddress]),
        HealthCheckInterval = TimeSpan.FromMilliseconds(500),
        HealthCheckTimeout = TimeSpan.FromSeconds(2),
        RelaunchDelay = TimeSpan.FromMilliseconds(100),
        Server = new PartitionServerOptions { BindAddress = _slurm.NodesElsewhere ? "0.0.0.0" : "127.0.0.1", DrainTimeout = TimeSpan.FromSeconds(10) },
    };

    /// <summary>Kills a node as a machine dies: its slurmd, its step daemons and its tasks, at once.</summary>
    public Task KillNodeAsync(string node) => LocalSlurm.RunScriptAsync(Instance, "kill-node", Number(node));

    /// <summary>Starts a killed node's slurmd again and waits until Slurm takes it back.</summary>
    public Task StartNodeAsync(string node) => LocalSlurm.RunScriptAsync(Instance, "start-node", Number(node));

    /// <summary>Takes a node off the network (its link goes down; what runs there keeps running).</summary>
    public Task CutNodeAsync(string node) => LocalSlurm.RunScriptAsync(Instance, "cut-node", Number(node));

    /// <summary>Puts a node back on the network.</summary>
    public Task HealNodeAsync(string node) => LocalSlurm.RunScriptAsync(Instance, "heal-node", Number(node));

    /// <summary>Runs a Slurm command against this cluster and returns its standard output.</summary>
    public Task<string> SlurmAsync(string command, params string[] arguments) => SlurmAsync(new Dictionary<string, string>(), command, arguments);

    /// <summary>Runs a Slurm command against this cluster with more environment variables (sbatch passes them to the job).</summary>
    public async Task<string> SlurmAsync(IDictionary<string, string> environment, string command, params string[] arguments)
    {
        var start = new ProcessStartInfo(command) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        start.Environment["SLURM_CONF"] = ConfigFile;
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        await process.WaitForExitAsync(timeout.Token);
        return process.ExitCode == 0 ? await output : throw new InvalidOperationException($"{command} {string.Join(' ', arguments)} failed ({process.ExitCode}): {await error}");
    }

    /// <summary>The jobs in the queue whose name contains <paramref name="nameFragment"/>: (id, name, state, node list).</summary>
    public async Task<IReadOnlyList<(string Id, string Name, string State, string Nodes)>> QueueAsync(string nameFragment)
    {
        var output = await SlurmAsync("squeue", "--noheader", "--format=%i|%j|%T|%N");
        return [.. output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(static line => line.Split('|'))
            .Where(fields => fields.Length == 4 && fields[1].Contains(nameFragment, StringComparison.Ordinal))
            .Select(static fields => (fields[0], fields[1], fields[2], fields[3]))];
    }

    public async ValueTask DisposeAsync() => await LocalSlurm.StopAsync(Instance);

    private static string Number(string node) => node.TrimStart('n');
}
