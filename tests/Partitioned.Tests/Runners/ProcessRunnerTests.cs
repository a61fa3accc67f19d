using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Microsoft.Extensions.Logging;
using Partitioned.Clustering;
using Partitioned.Directories;
using Partitioned.Protocol;
using Partitioned.Routing;
using Xunit.Abstractions;

namespace Partitioned.Tests.Runners;

/// <summary>The process runner's failure semantics, with real worker processes of the test worker app.</summary>
public sealed class ProcessRunnerTests : IDisposable
{
    private readonly ITestOutputHelper _output;
    private readonly ILoggerFactory _loggerFactory;
    private readonly CapturingLoggerProvider _logs;

    public ProcessRunnerTests(ITestOutputHelper output)
    {
        _output = output;
        (_loggerFactory, _logs) = TestLogging.Create(output);
    }

    public void Dispose() => _loggerFactory.Dispose();

    [Fact]
    public async Task KillNine_OnePartitionProcess_ComesBackAsNextAttempt_AndCoordinatorShowsTheNewEndpoint()
    {
        await using var cluster = await Clustering.Cluster.StartAsync(TestClusters.Integers(6, 2), TestServers.RowsWith(), Options());
        var before = (await cluster.GetClient(1).GetFromJsonAsync<ServerInfo>("info"))!;
        var originalEndpoint = cluster.Hosts[1];
        var replaced = new TaskCompletionSource<PartitionChange>(TaskCreationOptions.RunContinuationsAsynchronously);
        cluster.PartitionChanged += (_, change) =>
        {
            if (change.Partition == 1 && change.Kind == PartitionChangeKind.Replaced)
            {
                replaced.TrySetResult(change);
            }
        };

        var clock = Stopwatch.StartNew();
        using (var victim = Process.GetProcessById(before.ProcessId))
        {
            victim.Kill(); // SIGKILL, like kill -9
        }

        var change = await replaced.Task.WaitAsync(TimeSpan.FromSeconds(30));
        _output.WriteLine($"kill -9 to re-registered (Replaced): {clock.ElapsedMilliseconds} ms");

        change.Previous.Attempt.Should().Be(0);
        change.Current.Attempt.Should().Be(1);
        change.Current.Endpoint.Should().NotBe(originalEndpoint);
        var after = (await cluster.GetClient(1).GetFromJsonAsync<ServerInfo>("info"))!;
        after.Should().Match<ServerInfo>(i => i.Attempt == 1 && i.Rows == 3 && i.ProcessId != before.ProcessId);
        TestWorkers.IsAlive(before.ProcessId).Should().BeFalse();

        var killed = cluster.Attempts.Should().ContainSingle().Which;
        killed.Should().Match<AttemptOutcome>(a => a.Partition == 1 && a.Attempt == 0 && a.Status == AttemptStatus.Failed);
        killed.Error.Should().Contain("exited with code 137 (killed by signal 9, SIGKILL)");
        killed.Exception.Should().BeOfType<WorkerProcessException>().Which.ExitCode.Should().Be(137);

        // The coordinator's own view, as any client would read it.
        using var http = new HttpClient { BaseAddress = cluster.CoordinatorAddress };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", cluster.Token.Value);
        var hosts = (await http.GetFromJsonAsync<HostsResponse>("v1/hosts"))!;
        hosts.Hosts.Should().ContainSingle(h => h.Partition == 1).Which.Should().Be(new HostEntry(1, 1, change.Current.Endpoint!.ToString(), Environment.MachineName));

        (await (await cluster.StopAsync()).CollectAsync()).Should().Equal(0, 1, 2, 3, 4, 5);
    }

    [Theory]
    [InlineData("INT")]
    [InlineData("TERM")]
    public async Task Worker_GetsCtrlCOrSigterm_LeavesItToTheDriver_AndTheClusterStillStopsGracefully(string signal)
    {
        // Ctrl+C in a terminal (or a service manager) signals the driver and every worker at once.
        await using var cluster = await Clustering.Cluster.StartAsync(TestClusters.Integers(4, 2), TestServers.RowsWith(), Options());
        var workers = await cluster.ScatterGetAsync<ServerInfo>("info", new ScatterOptions { RequireAll = true });

        // A non-interactive shell starts a background job (`dotnet test &`) with SIGINT ignored; the workers inherit
        // that, and .NET keeps an inherited ignore, so such a worker never sees the signal and says nothing. Its
        // kernel signal mask shows it: then that is what is checked, and everything after it all the same.
        var ignoring = workers.Values.Where(w => IgnoredByKernel(w.ProcessId)).Select(w => w.Partition).ToHashSet();
        _output.WriteLine($"workers ignoring SIG{signal} from birth: {(ignoring.Count == 0 ? "none" : string.Join(", ", ignoring))}");
        foreach (var worker in workers.Values)
        {
            using var kill = Process.Start("kill", $"-{signal} {worker.ProcessId}");
            await kill.WaitForExitAsync();
            kill.ExitCode.Should().Be(0, $"the signal reached worker {worker.ProcessId}");
        }

        var handling = workers.Values.Where(w => !ignoring.Contains(w.Partition)).ToList();
        await Eventually.TrueAsync(
            () => handling.All(w => _logs.Lines.Any(l => l.Contains($"[partition {w.Partition} attempt 0]", StringComparison.Ordinal) && l.Contains($"SIG{signal} left to the driver", StringComparison.Ordinal))),
            "every worker that handles the signal said it leaves it to the driver");
        var stillServing = await cluster.ScatterGetAsync<ServerInfo>("info", new ScatterOptions { RequireAll = true });
        foreach (var worker in stillServing.Values.Where(w => ignoring.Contains(w.Partition)))
        {
            IgnoredByKernel(worker.ProcessId).Should().BeTrue("a worker that ignored the signal from birth still ignores it");
        }

        var results = await cluster.StopAsync();

        stillServing.Values.Select(i => i.ProcessId).Should().Equal(workers.Values.Select(i => i.ProcessId));
        (await results.CollectAsync()).Should().Equal(0, 1, 2, 3);
        cluster.Attempts.Should().OnlyContain(a => a.Status == AttemptStatus.Succeeded);

        // SigIgn in /proc/<pid>/status: a hex mask of ignored signals, bit N-1 for signal N.
        bool IgnoredByKernel(int pid)
        {
            var number = signal switch { "INT" => 2, "TERM" => 15, _ => throw new ArgumentOutOfRangeException(nameof(signal), signal, "a signal this test knows") };
            var mask = File.ReadLines($"/proc/{pid}/status").Single(l => l.StartsWith("SigIgn:", StringComparison.Ordinal))["SigIgn:".Length..].Trim();
            return (ulong.Parse(mask, System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture) & (1UL << (number - 1))) != 0;
        }
    }

    [Fact]
    public async Task Stop_WorkerSlowToExitAfterPostingItsResults_IsKilled_AndItsResultsStillCount()
    {
        var runner = TestWorkers.Runner(o => o with { KillGracePeriod = TimeSpan.FromMilliseconds(500) });
        await using var cluster = await Clustering.Cluster.StartAsync(TestClusters.Integers(6, 2), TestServers.RowsWith(new TestServerSettings { LingerAfterResultsPartitions = [1] }), Options() with { Runner = runner });
        var lingering = (await cluster.GetClient(1).GetFromJsonAsync<ServerInfo>("info"))!.ProcessId;

        var results = await cluster.StopAsync();

        (await results.CollectAsync()).Should().Equal(0, 1, 2, 3, 4, 5);
        cluster.Attempts.Should().HaveCount(2).And.OnlyContain(static a => a.Status == AttemptStatus.Succeeded);
        _logs.Text.Should().Contain("posted its results but did not exit within 00:00:00.5000000; stopping it by force (its results are kept)");
        TestWorkers.IsAlive(lingering).Should().BeFalse();
    }

    [Fact]
    public async Task Start_PartitionCrashesOnEveryInit_FailsAfterMaxAttempts_WithExitCodeAndStderrTail()
    {
        var cluster = new Cluster<int, int>(TestClusters.Integers(4, 2), TestServers.RowsWith(new TestServerSettings { CrashInitPartitions = [0] }), Options() with { MaxAttempts = 2 });

        var act = () => cluster.StartAsync();

        var error = (await act.Should().ThrowAsync<PartitionFailedException>()).Which;
        _output.WriteLine(error.Message);
        error.Partition.Should().Be(0);
        error.Attempts.Select(a => a.Attempt).Should().Equal(0, 1);
        foreach (var attempt in error.Attempts)
        {
            var worker = attempt.Exception.Should().BeOfType<WorkerProcessException>().Which;
            worker.Should().Match<WorkerProcessException>(w => w.Partition == 0 && w.Attempt == attempt.Attempt && w.ExitCode == 134);
            worker.StandardErrorTail.Should().Contain(line => line.Contains(RowsServer.CrashMessage)).And.HaveCountLessThanOrEqualTo(20);
        }

        error.Message.Should().Contain("failed all 2 attempts")
            .And.Contain("worker for partition 0 attempt 1 exited with code 134 (killed by signal 6, SIGABRT")
            .And.Contain("stderr tail:").And.Contain($"{RowsServer.CrashMessage} (partition 0, attempt 1)");
        cluster.State.Should().Be(ClusterState.Stopped);
    }

    [Fact]
    public async Task NoisyServer_WritesToStdoutAndStderr_RepliesAndResultsStayIntact_AndOutputReachesTheLog()
    {
        await using var cluster = await Clustering.Cluster.StartAsync(TestClusters.Integers(10, 2), TestServers.RowsWith(new TestServerSettings { Noisy = true }), Options());

        (await cluster.GetClient(0).GetStringAsync("noise")).Should().Be("ok");
        (await cluster.GetClient(1).GetFromJsonAsync<int[]>("rows")).Should().Equal(5, 6, 7, 8, 9);
        var results = await cluster.StopAsync();

        (await results.CollectAsync()).Should().Equal(Enumerable.Range(0, 10));
        _logs.Lines.Should().Contain(l => l.Contains("[partition 0 attempt 0] {\"noise\": \"user code writing JSON-looking text to stdout\"}"))
            .And.Contain(l => l.Contains("[partition 1 attempt 0] user code writing to stderr") && l.Contains(" Warn "))
            .And.Contain(l => l.Contains("[partition 0 attempt 0] [{\"partition\":99}]"));
    }

    [Fact]
    public async Task Token_NeverInAWorkersEnvironmentCommandLineOrTheLogs()
    {
        await using var cluster = await Clustering.Cluster.StartAsync(TestClusters.Integers(2, 1), TestServers.RowsWith(), Options());
        var worker = (await cluster.GetClient(0).GetFromJsonAsync<ServerInfo>("info"))!;
        var token = cluster.Token.Value;

        var environment = await File.ReadAllTextAsync($"/proc/{worker.ProcessId}/environ");
        var commandLine = await File.ReadAllTextAsync($"/proc/{worker.ProcessId}/cmdline");

        environment.Should().Contain("PARTITIONED_WORKER=1").And.NotContain(token);
        commandLine.Should().Contain("Partitioned.TestWorker.dll").And.NotContain(token);
        await cluster.StopAsync();
        _logs.Text.Should().NotContain(token);
    }

    [Fact]
    public async Task Start_Fails_AbandonedWorkersAreKilled_EvenOneThatIgnoresCancellation()
    {
        var tag = Guid.NewGuid().ToString("N");
        var runner = TestWorkers.Runner(o => o with { EnvironmentVariables = new Dictionary<string, string> { ["TEST_RUN_TAG"] = tag }, KillGracePeriod = TimeSpan.FromSeconds(1) });
        var settings = new TestServerSettings { HangInitPartitions = [0], BlockInitPartitions = [1] };
        var cluster = new Cluster<int, int>(TestClusters.Integers(6, 3), TestServers.RowsWith(settings), Options(runner) with { StartTimeout = TimeSpan.FromSeconds(8) });
        var outcomes = new List<AttemptOutcome>();
        cluster.AttemptCompleted += (_, outcome) => { lock (outcomes) { outcomes.Add(outcome); } };
        var started = Task.Run(async () =>
        {
            await Eventually.TrueAsync(() => TestWorkers.FindByEnvironment("TEST_RUN_TAG", tag).Count == 3, "three workers run");
            return TestWorkers.FindByEnvironment("TEST_RUN_TAG", tag);
        });

        var act = () => cluster.StartAsync();

        (await act.Should().ThrowAsync<PartitionsNotServingException>()).Which.MissingPartitions.Keys.Should().Equal(0, 1);
        var workers = await started;
        workers.Should().HaveCount(3);
        await Eventually.TrueAsync(() => workers.All(pid => !TestWorkers.IsAlive(pid)), "every worker of the failed start is gone", TimeSpan.FromSeconds(10));
        outcomes.Should().HaveCount(3).And.OnlyContain(a => a.Status == AttemptStatus.Abandoned);
    }

    [Fact]
    public async Task Worker_StopsAnsweringHealthChecks_IsKilledAndRelaunchedAsNextAttempt()
    {
        await using var cluster = await Clustering.Cluster.StartAsync(TestClusters.Integers(4, 2), TestServers.RowsWith(), Options() with { HealthCheckTimeout = TimeSpan.FromSeconds(1) });
        var before = (await cluster.GetClient(0).GetFromJsonAsync<ServerInfo>("info"))!;
        var replaced = new TaskCompletionSource<PartitionChange>(TaskCreationOptions.RunContinuationsAsynchronously);
        cluster.PartitionChanged += (_, change) =>
        {
            if (change.Partition == 0 && change.Kind == PartitionChangeKind.Replaced)
            {
                replaced.TrySetResult(change);
            }
        };

        // Frozen, not dead: the process exists but answers nothing, so only the health checks can tell.
        await SignalAsync("STOP", before.ProcessId);
        try
        {
            (await replaced.Task.WaitAsync(TimeSpan.FromSeconds(60))).Current.Attempt.Should().Be(1);
        }
        finally
        {
            if (TestWorkers.IsAlive(before.ProcessId))
            {
                await SignalAsync("CONT", before.ProcessId);
            }
        }

        TestWorkers.IsAlive(before.ProcessId).Should().BeFalse();
        // Only partition 0's attempts: on a very busy machine the 1 s check can also miss a slow partition 1 three times.
        cluster.Attempts.Where(static a => a.Partition == 0).Should().ContainSingle().Which.Error.Should()
            .StartWith("worker for partition 0 attempt 0 stopped answering health checks (").And.Contain("so its process tree was killed");
        (await cluster.GetClient(0).GetFromJsonAsync<ServerInfo>("info"))!.Attempt.Should().Be(1);
    }

    [Fact]
    public async Task DriverKilled_EveryWorkerExitsByItselfWithinSeconds()
    {
        using var driver = await TestDriver.StartAsync(["drive", "2"], WriteDriverOutput, TimeSpan.FromSeconds(60));
        var workers = driver.Workers;
        try
        {
            workers.Should().HaveCount(2).And.OnlyContain(pid => TestWorkers.IsAlive(pid) && pid != driver.Process.Id);

            var clock = Stopwatch.StartNew();
            driver.Process.Kill(); // SIGKILL: the driver gets no chance to stop anything
            await driver.Process.WaitForExitAsync();
            await Eventually.TrueAsync(() => workers.All(pid => !TestWorkers.IsAlive(pid)), "every worker exited after its driver was killed", TimeSpan.FromSeconds(10));
            _output.WriteLine($"driver SIGKILL to every worker gone: {clock.ElapsedMilliseconds} ms");
        }
        finally
        {
            foreach (var pid in workers.Where(TestWorkers.IsAlive))
            {
                using var leftover = Process.GetProcessById(pid);
                leftover.Kill();
            }

            if (!driver.Process.HasExited)
            {
                driver.Process.Kill(entireProcessTree: true);
            }
        }
    }

    [Fact]
    public async Task Worker_ExitsZeroWithoutPostingResults_IsAFailedAttemptWithAClearMessage()
    {
        var runner = new ProcessRunner(new ProcessRunnerOptions { Executable = "/bin/sh", Arguments = ["-c", "echo leaving early >&2; exit 0"] });
        var cluster = new Cluster<int, int>(TestClusters.Integers(2, 1), TestServers.RowsWith(), Options(runner) with { MaxAttempts = 1 });

        var act = () => cluster.StartAsync();

        var error = (await act.Should().ThrowAsync<PartitionFailedException>()).Which;
        var worker = error.Attempts.Should().ContainSingle().Which.Exception.Should().BeOfType<WorkerProcessException>().Which;
        worker.ExitCode.Should().Be(0);
        worker.StandardErrorTail.Should().Equal("leaving early");
        worker.Message.Should().StartWith("worker for partition 0 attempt 0 exited with code 0 without posting its results").And.EndWith("    | leaving early");
    }

    [Fact]
    public async Task Worker_ExitsNonZero_ErrorQuotesOnlyTheLastStderrLines()
    {
        var script = "for i in $(seq 1 30); do echo line $i >&2; done; exit 7";
        var runner = new ProcessRunner(new ProcessRunnerOptions { Executable = "/bin/sh", Arguments = ["-c", script], StandardErrorTailLines = 5 });
        var cluster = new Cluster<int, int>(TestClusters.Integers(2, 1), TestServers.RowsWith(), Options(runner) with { MaxAttempts = 1 });

        var act = () => cluster.StartAsync();

        var worker = (await act.Should().ThrowAsync<PartitionFailedException>()).Which.Attempts[0].Exception.Should().BeOfType<WorkerProcessException>().Which;
        worker.ExitCode.Should().Be(7);
        worker.StandardErrorTail.Should().Equal("line 26", "line 27", "line 28", "line 29", "line 30");
        worker.Message.Should().StartWith("worker for partition 0 attempt 0 exited with code 7; stderr tail:");
    }

    [Fact]
    public async Task Worker_ExecutableMissing_FailsWithNoExitCode()
    {
        var runner = new ProcessRunner(new ProcessRunnerOptions { Executable = "/nonexistent/partition-worker" });
        var cluster = new Cluster<int, int>(TestClusters.Integers(2, 1), TestServers.RowsWith(), Options(runner) with { MaxAttempts = 1 });

        var act = () => cluster.StartAsync();

        var worker = (await act.Should().ThrowAsync<PartitionFailedException>()).Which.Attempts[0].Exception.Should().BeOfType<WorkerProcessException>().Which;
        worker.ExitCode.Should().BeNull();
        worker.Message.Should().Contain("could not be started").And.Contain("/nonexistent/partition-worker");
    }

    [Fact]
    public void Options_Invalid_ListEveryProblem()
    {
        var options = new ProcessRunnerOptions
        {
            Executable = " ",
            KillGracePeriod = TimeSpan.FromSeconds(-1),
            StandardErrorTailLines = 0,
            EnvironmentVariables = new Dictionary<string, string> { ["PARTITIONED_PARTITION"] = "3" },
            WorkingDirectory = "/nonexistent/folder",
        };

        var act = () => new ProcessRunner(options);

        var error = act.Should().Throw<Microsoft.Extensions.Options.OptionsValidationException>().Which;
        error.Failures.Should().HaveCount(5);
        error.Message.Should().Contain("Executable").And.Contain("KillGracePeriod").And.Contain("StandardErrorTailLines")
            .And.Contain("PARTITIONED_PARTITION is reserved").And.Contain("WorkingDirectory");
    }

    private static async Task SignalAsync(string signal, int pid)
    {
        using var kill = Process.Start("/bin/sh", ["-c", $"kill -{signal} {pid}"]);
        await kill.WaitForExitAsync();
    }

    private ClusterOptions Options(IPartitionRunner? runner = null) => TestClusters.Options(_loggerFactory, runner ?? TestWorkers.Runner());

    // The driver's own lines, read while the test waits for it to be ready (its stderr is not shown, as before).
    private void WriteDriverOutput(string source, string? line)
    {
        if (source == "driver")
        {
            _output.WriteLine($"driver: {line}");
        }
    }
}
