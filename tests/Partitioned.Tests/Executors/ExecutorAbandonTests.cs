using Microsoft.Extensions.Logging;
using Partitioned.Clustering;
using Partitioned.Coordination;
using Xunit.Abstractions;

namespace Partitioned.Tests.Executors;

/// <summary>Abandoning attempts placed in an executor that never got going (process runner, real processes).</summary>
public sealed class ExecutorAbandonTests : IDisposable
{
    private readonly ILoggerFactory _loggerFactory;

    public ExecutorAbandonTests(ITestOutputHelper output) => (_loggerFactory, _) = TestLogging.Create(output);

    public void Dispose() => _loggerFactory.Dispose();

    [Fact]
    public async Task StartTimeout_UnderTls_ExecutorNeverAsksForItsToken_IsStoppedWithTheAbandonedAttempts()
    {
        // Under TLS an executor's token goes sealed once it asks for it; a program that never asks (an executor stuck
        // before it starts, a Slurm job waiting in the queue) must not hold its attempts, nor outlive the abandon.
        var marker = Guid.NewGuid().ToString("N");
        var runner = new ProcessRunner(new ProcessRunnerOptions
        {
            Executable = "sleep",
            Arguments = ["600"],
            PartitionsPerExecutor = 2,
            KillGracePeriod = TimeSpan.FromMilliseconds(500),
            EnvironmentVariables = new Dictionary<string, string> { ["REVIEW_TEST_MARKER"] = marker },
        });
        var options = TestClusters.Options(_loggerFactory, runner) with { Transport = TransportSecurity.Automatic(), StartTimeout = TimeSpan.FromSeconds(2) };

        var start = () => Clustering.Cluster.StartAsync(TestClusters.Integers(4, 2), TestServers.RowsWith(), options);

        await start.Should().ThrowAsync<Exception>();
        await Eventually.TrueAsync(() => TestWorkers.FindByEnvironment("REVIEW_TEST_MARKER", marker).Count == 0, "the executor was stopped with its abandoned attempts", TimeSpan.FromSeconds(20));
    }
}
