using Microsoft.Extensions.Logging;
using Partitioned.Clustering;
using Xunit.Abstractions;

namespace Partitioned.Tests.Executors;

/// <summary>An executor's reports share its standard output with the partitions' own code (process runner, real processes).</summary>
public sealed class ExecutorOutputTests : IDisposable
{
    private readonly ILoggerFactory _loggerFactory;
    private readonly CapturingLoggerProvider _logs;

    public ExecutorOutputTests(ITestOutputHelper output) => (_loggerFactory, _logs) = TestLogging.Create(output);

    public void Dispose() => _loggerFactory.Dispose();

    [Fact]
    public async Task InitFailure_AfterPartitionCodeWroteAnUnfinishedLine_TheAttemptsEndIsSeen_AndItIsRelaunched()
    {
        // The partition's code writes "loading... " without a newline, then fails: the executor's report of that end is
        // glued to it on one line. Worker logs at Warning, so no log line of the executor's comes in between.
        var runner = TestWorkers.Runner(static o => o with { PartitionsPerExecutor = 2, WorkerLogLevel = LogLevel.Warning });
        var settings = new TestServerSettings { FailInitPartitions = [1], FailInitBelowAttempt = 1, UnfinishedLineOnFailure = true };
        // A report missed would leave attempt 0 running on the driver's side: the start would time out.
        await using var cluster = await Clustering.Cluster.StartAsync(TestClusters.Integers(20, 2), TestServers.RowsWith(settings), TestClusters.Options(_loggerFactory, runner));

        var failed = cluster.Attempts.Should().ContainSingle().Which;
        failed.Should().Match<AttemptOutcome>(a => a.Partition == 1 && a.Attempt == 0 && a.Status == AttemptStatus.Failed);
        failed.Error.Should().Contain("failed in its executor").And.Contain(RowsServer.InitFailureMessage);
        _logs.Lines.Should().Contain(l => l.Contains("partition 1 loading... ", StringComparison.Ordinal), "what the partition's code wrote is still logged");
        (await (await cluster.StopAsync()).CollectAsync()).Should().Equal(Enumerable.Range(0, 20));
    }
}
