using System.Net;
using System.Net.Http.Json;
using Microsoft.Extensions.Logging;
using Partitioned.Clustering;
using Partitioned.Directories;
using Partitioned.Routing;
using Xunit.Abstractions;

namespace Partitioned.Tests.Cluster;

/// <summary>
/// The cluster's end-to-end behaviour, written once and run against every runner (a subclass per runner).
/// </summary>
public abstract class ClusterBehaviourTests : IDisposable
{
    private readonly ILoggerFactory _loggerFactory;

    protected ClusterBehaviourTests(ITestOutputHelper output)
    {
        (_loggerFactory, Logs) = TestLogging.Create(output);
    }

    protected CapturingLoggerProvider Logs { get; }

    protected abstract IPartitionRunner Runner { get; }

    /// <summary>True when the runner puts partitions inside the test process, false when each runs in a process of its own.</summary>
    protected virtual bool PartitionsRunInThisProcess => true;

    /// <summary>The start timeout of the hanging-partition test: long enough for the partitions that do not hang to start.</summary>
    protected virtual TimeSpan HangingStartTimeout => TimeSpan.FromSeconds(3);

    public void Dispose()
    {
        _loggerFactory.Dispose();
        GC.SuppressFinalize(this);
    }

    protected ClusterOptions Options => TestClusters.Options(_loggerFactory, Runner);

    [Fact]
    public async Task Start_PartitionsGetCompleteDisjointSlices_AndResultsComeBackInPartitionOrder()
    {
        await using var cluster = await Clustering.Cluster.StartAsync(TestClusters.Integers(1000, 3), TestServers.RowsWith(), Options);

        var served = await cluster.ScatterGetAsync<int[]>("rows", new ScatterOptions { RequireAll = true });
        var results = await cluster.StopAsync();

        served.Select(r => r.Value!.Length).Should().Equal(333, 333, 334);
        served.SelectMany(r => r.Value!).Should().Equal(Enumerable.Range(0, 1000), "slices are contiguous, complete and disjoint");
        results.PartitionCount.Should().Be(3);
        (await results.CollectAsync()).Should().Equal(Enumerable.Range(0, 1000));
        (await results.CollectPartitionAsync(2)).Should().Equal(Enumerable.Range(666, 334));
    }

    [Fact]
    public async Task Start_HostsAreKnownAndAppRoutesAnswer()
    {
        await using var cluster = await Clustering.Cluster.StartAsync(TestClusters.Integers(10, 2), TestServers.RowsWith(), Options);

        cluster.State.Should().Be(ClusterState.Running);
        cluster.Hosts.Keys.Should().Equal(0, 1);
        cluster.Hosts.Values.Should().OnlyContain(uri => uri.Host == "127.0.0.1" && uri.Port > 0);
        var info = await cluster.GetClient(1).GetFromJsonAsync<ServerInfo>("info");
        info.Should().Match<ServerInfo>(i => i.Partition == 1 && i.Attempt == 0 && i.Rows == 5 && i.ClusterId == cluster.Id);
        (info!.ProcessId == Environment.ProcessId).Should().Be(PartitionsRunInThisProcess, "the runner decides where partitions run");
        using var direct = new HttpClient();
        (await direct.GetFromJsonAsync<int[]>(new Uri(cluster.Hosts[0], "app/rows"))).Should().Equal(0, 1, 2, 3, 4);
    }

    [Fact]
    public async Task Stop_IsIdempotent_AndRestartRunsAgainWithNewId()
    {
        var cluster = new Cluster<int, int>(TestClusters.Integers(6, 2), TestServers.RowsWith(), Options);
        await cluster.StartAsync();
        var firstId = cluster.Id;

        var first = await cluster.StopAsync();
        var again = await cluster.StopAsync();
        cluster.State.Should().Be(ClusterState.Stopped);
        var whileStopped = () => cluster.GetClient(0);
        whileStopped.Should().Throw<InvalidOperationException>().WithMessage("*needs a running cluster*", "the message says why");

        await cluster.StartAsync();
        var secondId = cluster.Id;
        (await cluster.GetClient(0).GetFromJsonAsync<int[]>("rows")).Should().Equal(0, 1, 2);
        var second = await cluster.StopAsync();
        await cluster.DisposeAsync();

        again.Should().BeSameAs(first);
        secondId.Should().NotBe(firstId);
        (await second.CollectAsync()).Should().Equal(await first.CollectAsync());
    }

    [Fact]
    public async Task Start_WhenRunning_Throws()
    {
        await using var cluster = await Clustering.Cluster.StartAsync(TestClusters.Integers(2, 1), TestServers.RowsWith(), Options);

        var act = () => cluster.StartAsync();

        await act.Should().ThrowAsync<InvalidOperationException>().WithMessage("*already running*");
    }

    [Fact]
    public async Task Stop_DrainsSlowInFlightRequest()
    {
        await using var cluster = await Clustering.Cluster.StartAsync(TestClusters.Integers(4, 2), TestServers.RowsWith(), Options);
        var slow = cluster.GetClient(0).GetAsync("slow?ms=1500");
        await Eventually.TrueAsync(async () => await ClusterProbes.InFlightAsync(cluster, 0) >= 1, "the slow request is in flight");

        var results = await cluster.StopAsync();

        (await slow).StatusCode.Should().Be(HttpStatusCode.OK);
        (await results.CollectAsync()).Should().Equal(0, 1, 2, 3);
    }

    [Fact]
    public async Task Start_PartitionHangsInInit_TimeoutNamesTheMissingPartition()
    {
        var options = Options with { StartTimeout = HangingStartTimeout };
        var cluster = new Cluster<int, int>(TestClusters.Integers(9, 3), TestServers.RowsWith(new TestServerSettings { HangInitPartitions = [1] }), options);

        var act = () => cluster.StartAsync();

        var error = (await act.Should().ThrowAsync<PartitionsNotServingException>()).Which;
        error.MissingPartitions.Keys.Should().Equal(1);
        error.Message.Should().Contain("partition 1").And.Contain($"{HangingStartTimeout.TotalSeconds} s");
        cluster.State.Should().Be(ClusterState.Stopped);
        await cluster.DisposeAsync();
    }

    [Fact]
    public async Task Start_InitFailsOnFirstAttempt_RelaunchedAsNextAttempt_AndDirectoryShowsIt()
    {
        var cluster = new Cluster<int, int>(
            TestClusters.Integers(4, 2),
            TestServers.RowsWith(new TestServerSettings { FailInitPartitions = [1], FailInitBelowAttempt = 1 }),
            Options);
        var changes = new List<PartitionChange>();
        var outcomes = new List<AttemptOutcome>();
        cluster.PartitionChanged += (_, change) => { lock (changes) { changes.Add(change); } };
        cluster.AttemptCompleted += (_, outcome) => { lock (outcomes) { outcomes.Add(outcome); } };

        await cluster.StartAsync();

        cluster.Directory.Current[1].Attempt.Should().Be(1);
        cluster.Attempts.Should().ContainSingle().Which.Should().Match<AttemptOutcome>(a =>
            a.Partition == 1 && a.Attempt == 0 && a.Status == AttemptStatus.Failed && a.Error!.Contains(RowsServer.InitFailureMessage));
        outcomes.Should().ContainSingle();
        var registered = changes.Where(c => c.Partition == 1 && c.Current.State == PartitionState.Serving).Should().ContainSingle().Which;
        registered.Previous.Attempt.Should().Be(0);
        registered.Previous.LastError.Should().Contain(RowsServer.InitFailureMessage);
        registered.Current.Attempt.Should().Be(1);
        (await cluster.GetClient(1).GetFromJsonAsync<ServerInfo>("info"))!.Attempt.Should().Be(1);

        // The failed attempt can no longer register: the coordinator refuses the stale attempt.
        using var http = new HttpClient { BaseAddress = cluster.CoordinatorAddress };
        http.DefaultRequestHeaders.Authorization = cluster.Token.CreateAuthorizationHeader();
        var stale = await http.PostAsJsonAsync("v1/register", new { partition = 1, attempt = 0, endpoint = "http://127.0.0.1:9" });
        stale.StatusCode.Should().Be(HttpStatusCode.Conflict);

        await cluster.DisposeAsync();
    }

    [Fact]
    public async Task Start_InitAlwaysFails_FailsAfterMaxAttemptsWithEveryError()
    {
        var options = Options with { MaxAttempts = 3 };
        var cluster = new Cluster<int, int>(TestClusters.Integers(4, 2), TestServers.RowsWith(new TestServerSettings { FailInitPartitions = [0] }), options);
        PartitionFailedException? raised = null;
        cluster.PartitionFailed += (_, failure) => raised = failure;

        var act = () => cluster.StartAsync();

        var error = (await act.Should().ThrowAsync<PartitionFailedException>()).Which;
        error.Partition.Should().Be(0);
        error.Attempts.Select(a => a.Attempt).Should().Equal(0, 1, 2);
        error.Attempts.Should().OnlyContain(a => a.Status == AttemptStatus.Failed);
        error.Message.Should().Contain("failed all 3 attempts").And.Contain("attempt 2: ").And.Contain(RowsServer.InitFailureMessage);
        raised.Should().BeSameAs(error);
        cluster.State.Should().Be(ClusterState.Stopped);
    }

    [Fact]
    public async Task Scatter_SlowPartitionTimesOut_WithoutFailingTheOthers()
    {
        await using var cluster = await Clustering.Cluster.StartAsync(TestClusters.Integers(4, 2), TestServers.RowsWith(), Options);

        // Warm up (connections, first-call JIT), so only the deliberately slow partition can miss the deadline,
        // even in a freshly started worker process on a busy machine.
        await cluster.ScatterAsync((_, client, token) => client.GetStringAsync("slow?ms=1", token), new ScatterOptions { RequireAll = true });
        var result = await cluster.ScatterAsync(
            (partition, client, token) => client.GetStringAsync(partition == 1 ? "slow?ms=3000" : "slow?ms=1", token),
            new ScatterOptions { PerPartitionTimeout = TimeSpan.FromSeconds(1) });

        result.AllSucceeded.Should().BeFalse();
        result[0].Value.Should().Be("done");
        result[1].Error.Should().BeOfType<TimeoutException>().Which.Message.Should().Contain("Partition 1");
        var strict = () => cluster.ScatterAsync(
            (partition, client, token) => client.GetStringAsync(partition == 1 ? "throw" : "rows", token),
            new ScatterOptions { RequireAll = true });
        (await strict.Should().ThrowAsync<ScatterFailedException>()).Which.Failures.Keys.Should().Equal(1);
    }

    [Fact]
    public async Task Stop_DuringRollingUpdate_StopsTheIncomingAttempt_AndUpdateSaysTheClusterStopped()
    {
        var runner = new AttemptCountingRunner(Runner);
        await using var cluster = await Clustering.Cluster.StartAsync(TestClusters.Integers(8, 2), TestServers.RowsWith(), Options with { Runner = runner });
        var clusterId = cluster.Id;

        // Partition 0 takes the new version; partition 1's new server never finishes initialising, so the rollout waits on it.
        var update = cluster.UpdateAsync(TestServers.RowsWith(new TestServerSettings { HangInitPartitions = [1] }));
        await Eventually.TrueAsync(() => runner.Started == 4, "the rollout replaced partition 0 and launched partition 1's new server", TimeSpan.FromSeconds(60));
        if (!PartitionsRunInThisProcess)
        {
            await Eventually.TrueAsync(() => TestWorkers.FindByEnvironment("PARTITIONED_CLUSTER_ID", clusterId).Count == 3, "partition 1's new worker runs next to the old ones");
        }

        var results = await cluster.StopAsync();

        using (new FluentAssertions.Execution.AssertionScope())
        {
            runner.Running.Should().Be(0, "no attempt of the cluster runs once StopAsync returned, the rollout's incoming one included");
            if (!PartitionsRunInThisProcess)
            {
                TestWorkers.FindByEnvironment("PARTITIONED_CLUSTER_ID", clusterId).Should().BeEmpty("every worker process of the cluster exited");
            }
        }

        var act = () => update.WaitAsync(TimeSpan.FromSeconds(30));
        (await act.Should().ThrowAsync<InvalidOperationException>()).WithMessage("The cluster stopped while the rolling update to version 1 was under way*after 1 replica(s)*");
        (await results.CollectAsync()).Should().Equal(Enumerable.Range(0, 8), "partition 0's new version and partition 1's old one hand back their rows");
        cluster.Attempts.Should().ContainSingle(a => a.Partition == 1 && a.Attempt == 1)
            .Which.Should().Match<AttemptOutcome>(a => a.Status == AttemptStatus.Abandoned && a.Error!.Contains("the cluster stopped"));
    }

    [Fact]
    public async Task Options_Invalid_ListEveryProblemBeforeStarting()
    {
        var options = Options with { MaxAttempts = 0, StartTimeout = TimeSpan.Zero, CoordinatorBindAddress = "nowhere", Server = new() { Ports = new(70000, 70001) } };
        var cluster = new Cluster<int, int>(TestClusters.Integers(4, 2), TestServers.RowsWith(), options);

        var act = () => cluster.StartAsync();

        var error = (await act.Should().ThrowAsync<Microsoft.Extensions.Options.OptionsValidationException>()).Which;
        error.Failures.Should().HaveCount(4);
        error.Message.Should().Contain("MaxAttempts").And.Contain("StartTimeout").And.Contain("CoordinatorBindAddress").And.Contain("Server.Ports");
    }
}
