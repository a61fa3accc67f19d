using Partitioned.Clustering;
using Partitioned.Coordination;
using Partitioned.Examples;
using Partitioned.Server;

namespace Partitioned.Bench;

/// <summary>The local Slurm cluster for the lifecycle and recovery benchmarks (started here, stopped afterwards when this run started it).</summary>
internal sealed class BenchSlurm : IAsyncDisposable
{
    private readonly bool _started;

    private BenchSlurm(LocalSlurm slurm, bool started)
    {
        _started = started;
        Runner = new BenchRunner("slurm", new ClusterOptions
        {
            Runner = new SlurmRunner(new SlurmRunnerOptions { ConfigFile = slurm.ConfigFile, WorkersOnOtherHosts = slurm.NodesElsewhere }),
            CoordinatorBindAddress = slurm.HostAddress,

            // Cleartext on purpose: the lifecycle and recovery timings compare with earlier runs (all cleartext), and the
            // nodes are namespaces on this machine's bridge. TLS's cost is measured by the serving-tls target.
            Transport = TransportSecurity.Cleartext,
            AllowCleartextAcrossHosts = true,
            Server = new PartitionServerOptions { BindAddress = slurm.NodesElsewhere ? "0.0.0.0" : "127.0.0.1" },
            HealthCheckInterval = TimeSpan.FromMilliseconds(500),
            HealthCheckTimeout = TimeSpan.FromSeconds(2),
        }, 16);
    }

    public BenchRunner Runner { get; }

    /// <summary>Starts the local Slurm cluster; null (and says why) when it cannot, so the other runners are still measured.</summary>
    public static async Task<BenchSlurm?> TryStartAsync()
    {
        try
        {
            var running = await LocalSlurm.IsRunningAsync();
            return new BenchSlurm(await LocalSlurm.StartAsync(), started: !running);
        }
        catch (InvalidOperationException ex)
        {
            Console.WriteLine($"  Slurm runner not measured: the local Slurm cluster could not start ({ex.Message})");
            return null;
        }
    }

    public Task KillNodeAsync(string node) => LocalSlurm.RunScriptAsync("kill-node", node.TrimStart('n'));

    public Task StartNodeAsync(string node) => LocalSlurm.RunScriptAsync("start-node", node.TrimStart('n'));

    public async ValueTask DisposeAsync()
    {
        if (_started)
        {
            await LocalSlurm.StopAsync();
        }
    }
}
