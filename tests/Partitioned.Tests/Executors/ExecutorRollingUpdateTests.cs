using Microsoft.Extensions.Logging;
using Partitioned.Clustering;
using Partitioned.Routing;
using Xunit.Abstractions;

namespace Partitioned.Tests.Executors;

/// <summary>Rolling updates of a cluster whose attempts run in executors (process runner, real processes).</summary>
public sealed class ExecutorRollingUpdateTests : IDisposable
{
    private readonly ILoggerFactory _loggerFactory;

    public ExecutorRollingUpdateTests(ITestOutputHelper output) => (_loggerFactory, _) = TestLogging.Create(output);

    public void Dispose() => _loggerFactory.Dispose();

    [Fact]
    public async Task UpdateAsync_ToAnotherServer_NewAttemptsPlacedInExecutorsStartedForTheOldOne_Serve()
    {
        // Partition 2's first attempt fails, so its re-launch starts a second executor (it avoids the one its code failed
        // in) that has free slots: the rollout's new attempts are placed in executors started for the old server.
        var runner = TestWorkers.Runner(static o => o with { PartitionsPerExecutor = 4 });
        var settings = new TestServerSettings { FailInitPartitions = [2], FailInitBelowAttempt = 1 };
        await using var cluster = await Clustering.Cluster.StartAsync(TestClusters.Integers(40, 4), TestServers.RowsWith(settings), TestClusters.Options(_loggerFactory, runner));
        var executors = runner.ExecutorsOf(cluster.Id);
        executors.Should().HaveCount(2);

        var version = await cluster.UpdateAsync(TestServers.ServingWith()).WaitAsync(TimeSpan.FromSeconds(120));

        version.Should().Be(1);
        var infos = await cluster.ScatterGetAsync<ServerInfo>("info", new ScatterOptions { RequireAll = true });
        infos.Values.Should().HaveCount(4).And.OnlyContain(static i => i.Rows == 10);
        cluster.Directory.Current.Partitions.Should().OnlyContain(static p => p.Replicas[0].Version == 1);
        var reused = infos.Values.Select(static i => i.ProcessId).Intersect(executors.Select(static e => e.ProcessId)).ToList();
        reused.Should().NotBeEmpty("new attempts were placed in an executor started before the update");
        await cluster.StopAsync();
    }
}
