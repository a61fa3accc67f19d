using System.Diagnostics;
using System.Net.Http.Json;
using Microsoft.Extensions.Logging;
using Partitioned.Clustering;
using Partitioned.Coordination;
using Xunit.Abstractions;

namespace Partitioned.Tests.Executors;

/// <summary>Executors under the process runner: several partition attempts per worker process, with real processes.</summary>
public sealed class ExecutorProcessRunnerTests : IDisposable
{
    private readonly ITestOutputHelper _output;
    private readonly ILoggerFactory _loggerFactory;
    private readonly CapturingLoggerProvider _logs;

    public ExecutorProcessRunnerTests(ITestOutputHelper output)
    {
        _output = output;
        (_loggerFactory, _logs) = TestLogging.Create(output);
    }

    public void Dispose() => _loggerFactory.Dispose();

    [Fact]
    public async Task Start_EightPartitionsFourPerExecutor_TwoProcessesServeAll_AndResultsComeBackInOrder()
    {
        var runner = TestWorkers.Runner(o => o with { PartitionsPerExecutor = 4 });
        await using var cluster = await Clustering.Cluster.StartAsync(TestClusters.Integers(80, 8), TestServers.RowsWith(), Options(runner));

        var infos = await cluster.ScatterGetAsync<ServerInfo>("info", new ScatterOptions { RequireAll = true });
        infos.Values.Should().HaveCount(8).And.OnlyContain(static i => i.Attempt == 0 && i.Rows == 10);
        var processes = infos.Values.GroupBy(static i => i.ProcessId).ToList();
        processes.Should().HaveCount(2).And.OnlyContain(static g => g.Count() == 4);
        processes.Select(static g => g.Key).Should().NotContain(Environment.ProcessId);

        // Every partition is a server of its own: its own endpoint, its own executor-tagged registration.
        var snapshot = cluster.Directory.Current;
        snapshot.Partitions.Select(static p => p.Endpoint).Distinct().Should().HaveCount(8);
        snapshot.Partitions.SelectMany(static p => p.Replicas).Select(static r => r.Executor).Should().OnlyContain(static e => e != null).And.HaveCount(8);
        snapshot.Partitions.SelectMany(static p => p.Replicas).GroupBy(static r => r.Executor).Should().HaveCount(2);

        var results = await cluster.StopAsync();
        (await results.CollectAsync()).Should().Equal(Enumerable.Range(0, 80));
        cluster.Attempts.Should().HaveCount(8).And.OnlyContain(static a => a.Status == AttemptStatus.Succeeded);
        await Eventually.TrueAsync(() => processes.All(g => !TestWorkers.IsAlive(g.Key)), "every executor process exited after the stop", TimeSpan.FromSeconds(10));
    }

    private ClusterOptions Options(IPartitionRunner runner) => TestClusters.Options(_loggerFactory, runner);
}
