using Partitioned.Clustering;
using Partitioned.Routing;
using Xunit.Abstractions;

namespace Partitioned.Tests.Cluster;

[CollectionDefinition(nameof(SequentialCollection), DisableParallelization = true)]
public sealed class SequentialCollection;

/// <summary>Runs alone: it counts the whole process's sockets and threads.</summary>
[Collection(nameof(SequentialCollection))]
public sealed class ResourceLeakTests(ITestOutputHelper output)
{
    [Fact]
    public async Task StartStop_EightPartitionsTwentyTimes_LeavesNoGrowingSocketsOrThreads()
    {
        var (loggerFactory, _) = TestLogging.Create(output: null);
        using var _ = loggerFactory;
        var cluster = new Cluster<int, int>(TestClusters.Integers(800, 8), TestServers.RowsWith(), TestClusters.Options(loggerFactory));

        async Task CycleAsync()
        {
            await cluster.StartAsync();
            await cluster.ScatterGetAsync<int[]>("rows", new ScatterOptions { RequireAll = true });
            (await cluster.StopAsync()).PartitionCount.Should().Be(8);
        }

        // Warm up: thread-pool growth and first-use allocations are not leaks.
        for (var i = 0; i < 3; i++)
        {
            await CycleAsync();
        }

        await SettleAsync();
        var socketsBefore = ProcessResources.OpenSockets();
        var threadsBefore = ProcessResources.Threads();

        for (var i = 0; i < 20; i++)
        {
            await CycleAsync();
        }

        await SettleAsync();
        var socketsAfter = ProcessResources.OpenSockets();
        var threadsAfter = ProcessResources.Threads();
        output.WriteLine($"sockets {socketsBefore} -> {socketsAfter}; threads {threadsBefore} -> {threadsAfter}");

        // 20 cycles x 8 partitions would leave at least 160 sockets behind if each run leaked one.
        socketsAfter.Should().BeLessThanOrEqualTo(socketsBefore + 8);
        threadsAfter.Should().BeLessThanOrEqualTo(threadsBefore + 16);
    }

    private static async Task SettleAsync()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        await Task.Delay(500);
    }
}
