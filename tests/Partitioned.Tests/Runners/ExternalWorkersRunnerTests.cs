using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using Microsoft.Extensions.Logging;
using Partitioned.Clustering;
using Partitioned.Directories;
using Partitioned.Routing;
using Partitioned.Server;
using Xunit.Abstractions;

namespace Partitioned.Tests.Runners;

/// <summary>
/// Workers launched by an engine on its own (token file, attempts assigned by the coordinator), with the test as the
/// engine: it starts worker processes itself, as systemd or ssh would.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class ExternalWorkersRunnerTests : IDisposable
{
    private readonly ITestOutputHelper _output;
    private readonly ILoggerFactory _loggerFactory;
    private readonly CapturingLoggerProvider _logs;
    private readonly string _folder = Directory.CreateTempSubdirectory("partitioned-engine-").FullName;
    private readonly List<EngineWorker> _workers = [];

    public ExternalWorkersRunnerTests(ITestOutputHelper output)
    {
        _output = output;
        (_loggerFactory, _logs) = TestLogging.Create(output, LogLevel.Debug);
    }

    private string TokenFile => Path.Combine(_folder, "token");

    public void Dispose()
    {
        foreach (var worker in _workers)
        {
            worker.Dispose();
        }

        _loggerFactory.Dispose();
        Directory.Delete(_folder, recursive: true);
    }

    [Fact]
    public async Task EngineLaunchedWorkers_AskForTheirAttempts_Serve_AndHandBackResultsOnStop()
    {
        EngineLaunch? launched = null;
        var runner = new ExternalWorkersRunner(async (launch, ct) =>
        {
            launched = launch;
            await launch.WriteTokenFileAsync(TokenFile, ct);
            for (var partition = 0; partition < launch.PartitionCount; partition++)
            {
                Start(launch, partition);
            }
        }, workersOnOtherHosts: false);

        await using var cluster = await Clustering.Cluster.StartAsync(TestClusters.Integers(9, 3), TestServers.RowsWith(), Options(runner));
        var infos = await cluster.ScatterGetAsync<ServerInfo>("info", new ScatterOptions { RequireAll = true });

        File.GetUnixFileMode(TokenFile).Should().Be(UnixFileMode.UserRead | UnixFileMode.UserWrite);
        launched!.Server.Should().Be("rows");
        infos.Values.Should().OnlyContain(static i => i.Attempt == 0 && i.Rows == 3);
        _logs.Text.Should().Contain("assigned attempt 0 to a worker its engine launched");
        (await (await cluster.StopAsync()).CollectAsync()).Should().Equal(Enumerable.Range(0, 9));
        foreach (var worker in _workers)
        {
            (await worker.ExitAsync()).Should().Be(WorkerExitCodes.Succeeded, worker.Error);
        }
    }

    [Fact]
    public async Task SecondWorkerForAPartition_ReplacesTheFirstAsNextAttempt_AndTheFirstStopsByItself()
    {
        var runner = new ExternalWorkersRunner(async (launch, ct) =>
        {
            await launch.WriteTokenFileAsync(TokenFile, ct);
            Start(launch, 0);
            Start(launch, 1);
        }, workersOnOtherHosts: false);
        await using var cluster = await Clustering.Cluster.StartAsync(TestClusters.Integers(4, 2), TestServers.RowsWith(), Options(runner));
        var first = _workers[1];
        var replaced = cluster.Directory.WaitUntilAsync(static s => s[1].Attempt == 1 && s[1].State == PartitionState.Serving, CancellationToken.None);

        // The engine's own retry (a requeue, a replacement pod) starts another worker for partition 1.
        Start(first.Launch!, 1);

        await replaced.WaitAsync(TimeSpan.FromSeconds(60));
        (await cluster.GetClient(1).GetFromJsonAsync<ServerInfo>("info"))!.Should().Match<ServerInfo>(i => i.Attempt == 1 && i.ProcessId == _workers[2].Id);
        (await first.ExitAsync(TimeSpan.FromSeconds(30))).Should().Be(WorkerExitCodes.Abandoned);
        first.Error.Should().Contain("the coordinator no longer runs this attempt");
        cluster.Attempts.Should().ContainSingle().Which.Error.Should().Contain("its engine started another worker for partition 1");
        (await (await cluster.StopAsync()).CollectAsync()).Should().Equal(0, 1, 2, 3);
    }

    [Fact]
    public async Task EngineStopsAWorker_ItReportsAndAbandons_AndTheNextWorkerGetsTheNextAttempt()
    {
        var runner = new ExternalWorkersRunner(async (launch, ct) =>
        {
            await launch.WriteTokenFileAsync(TokenFile, ct);
            Start(launch, 0);
        }, workersOnOtherHosts: false);
        await using var cluster = await Clustering.Cluster.StartAsync(TestClusters.Integers(4, 1), TestServers.RowsWith(), Options(runner));
        var worker = _workers[0];
        var lost = cluster.Directory.WaitUntilAsync(static s => s[0].State == PartitionState.Lost, CancellationToken.None);

        using (var kill = Process.Start("kill", $"-TERM {worker.Id}"))
        {
            await kill.WaitForExitAsync();
        }

        (await worker.ExitAsync()).Should().Be(WorkerExitCodes.Abandoned);
        worker.Error.Should().Contain("its engine stopped the worker (SIGTERM)");
        (await lost.WaitAsync(TimeSpan.FromSeconds(30)))[0].LastError.Should().Contain("its engine stopped the worker");

        Start(worker.Launch!, 0);
        await cluster.WaitForAllServingAsync(TimeSpan.FromSeconds(60));
        cluster.Directory.Current[0].Attempt.Should().Be(1);
        (await (await cluster.StopAsync()).CollectAsync()).Should().Equal(0, 1, 2, 3);
    }

    [Fact]
    public async Task WorkerWhoseAttemptWasMarkedLost_ExitsByItself_EvenWhenThePartitionIsNotRelaunched()
    {
        var runner = new ExternalWorkersRunner(async (launch, ct) =>
        {
            await launch.WriteTokenFileAsync(TokenFile, ct);
            Start(launch, 0);
            Start(launch, 1);
        }, workersOnOtherHosts: false);

        // One attempt per partition: a lost attempt stays the partition's last one, so no newer attempt tells its worker to go.
        var options = Options(runner) with { MaxAttempts = 1, HealthCheckTimeout = TimeSpan.FromSeconds(1) };
        await using var cluster = await Clustering.Cluster.StartAsync(TestClusters.Integers(4, 2), TestServers.RowsWith(), options);
        var worker = _workers.Single(w => w.Partition == 0);

        // The worker's node freezes (as one cut off the network): health checks fail and the coordinator marks it lost.
        Signal("STOP", worker.Id);
        try
        {
            await Eventually.TrueAsync(() => cluster.Attempts.Any(static a => a.Partition == 0), "the coordinator marked partition 0's attempt lost and it ended", TimeSpan.FromSeconds(60));
        }
        finally
        {
            Signal("CONT", worker.Id);
        }

        // Back, it asks whether its attempt still runs, hears that it is over, and stops: it must not hold its node.
        (await worker.ExitAsync(TimeSpan.FromSeconds(20))).Should().Be(WorkerExitCodes.Abandoned, "it asks every 2 s, and the 30 s it waits for a coordinator that does not answer are no excuse: this one answers");
        worker.Error.Should().Contain("the coordinator no longer runs this attempt: Attempt 0 of partition 0 is over");
        cluster.Attempts.Should().ContainSingle().Which.Error.Should().Contain("ended without results");
        var stop = () => cluster.StopAsync();
        (await stop.Should().ThrowAsync<ClusterStopException>()).Which.Failures.Should().ContainSingle().Which.Partition.Should().Be(0);
        (await _workers.Single(w => w.Partition == 1).ExitAsync()).Should().Be(WorkerExitCodes.Succeeded);
    }

    [Fact]
    public async Task Registration_OfAnAttemptNobodyLaunched_IsRefused()
    {
        var runner = new ExternalWorkersRunner(async (launch, ct) =>
        {
            await launch.WriteTokenFileAsync(TokenFile, ct);
            Start(launch, 0);
        }, workersOnOtherHosts: false);
        await using var cluster = await Clustering.Cluster.StartAsync(TestClusters.Integers(2, 1), TestServers.RowsWith(), Options(runner));
        using var http = new HttpClient { BaseAddress = cluster.CoordinatorAddress };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", cluster.Token.Value);

        var response = await http.PostAsJsonAsync("v1/register", new { partition = 0, attempt = 7, endpoint = "http://127.0.0.1:9/" });

        response.StatusCode.Should().Be(HttpStatusCode.Conflict);
        (await response.Content.ReadAsStringAsync()).Should().Contain("Attempt 7 of partition 0 was not launched or assigned by this cluster (its current attempt is 0)");
        cluster.Directory.Current[0].Should().Match<PartitionEntry>(e => e.Attempt == 0 && e.State == PartitionState.Serving);
    }

    [Fact]
    public async Task TokenFile_ReadableByOthers_IsRefused()
    {
        File.WriteAllText(TokenFile, "0123456789abcdef0123456789abcdef\n");
        File.SetUnixFileMode(TokenFile, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        var worker = Start(new Dictionary<string, string>
        {
            ["PARTITIONED_WORKER"] = "1",
            ["PARTITIONED_COORDINATOR"] = "http://127.0.0.1:9/",
            ["PARTITIONED_PARTITION"] = "0",
            ["PARTITIONED_TOKEN_FILE"] = TokenFile,
        });

        (await worker.ExitAsync()).Should().Be(WorkerExitCodes.InvalidLaunch);
        worker.Error.Should().Contain($"The token file {TokenFile} has mode 0644, so others can read or change it; it must be 0600 or stricter (chmod 600 {TokenFile})");
    }

    [Fact]
    public async Task AssignmentRoute_OnAClusterThatLaunchesItsOwnWorkers_IsRefused()
    {
        await using var cluster = await Clustering.Cluster.StartAsync(TestClusters.Integers(2, 1), TestServers.RowsWith(), TestClusters.Options(_loggerFactory));
        using var http = new HttpClient { BaseAddress = cluster.CoordinatorAddress };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", cluster.Token.Value);

        var response = await http.PostAsync("v1/attempts/0", null);

        response.StatusCode.Should().Be(HttpStatusCode.Conflict);
        (await response.Content.ReadAsStringAsync()).Should().Contain("this cluster launches its own workers (runner 'in-process')");
    }

    private ClusterOptions Options(ExternalWorkersRunner runner) => TestClusters.Options(_loggerFactory, runner) with { StartTimeout = TimeSpan.FromSeconds(90) };

    private EngineWorker Start(EngineLaunch launch, int partition)
    {
        var environment = launch.WorkerEnvironment(TokenFile).ToDictionary();
        environment["PARTITIONED_PARTITION"] = partition.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var worker = Start(environment);
        worker.Launch = launch;
        worker.Partition = partition;
        return worker;
    }

    private static void Signal(string signal, int pid)
    {
        using var kill = Process.Start("kill", $"-{signal} {pid}");
        kill.WaitForExit();
    }

    private EngineWorker Start(Dictionary<string, string> environment)
    {
        var start = new ProcessStartInfo(TestWorkers.Options.Executable!)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(TestWorkers.Dll);
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        var worker = new EngineWorker(Process.Start(start)!, _output);

        // An engine gives its workers no driver on standard input: in token file mode, its end means nothing.
        worker.Process.StandardInput.Close();
        lock (_workers)
        {
            _workers.Add(worker);
        }

        return worker;
    }

    private sealed class EngineWorker : IDisposable
    {
        private readonly StringBuilder _error = new();

        public EngineWorker(Process process, ITestOutputHelper output)
        {
            Process = process;
            Id = process.Id;
            process.OutputDataReceived += (_, e) => Write(output, e.Data);
            process.ErrorDataReceived += (_, e) =>
            {
                lock (_error)
                {
                    _error.AppendLine(e.Data);
                }

                Write(output, e.Data);
            };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
        }

        public Process Process { get; }

        public int Id { get; }

        public EngineLaunch? Launch { get; set; }

        public int Partition { get; set; } = -1;

        public string Error
        {
            get
            {
                lock (_error)
                {
                    return _error.ToString();
                }
            }
        }

        public async Task<int> ExitAsync(TimeSpan? timeout = null)
        {
            await Process.WaitForExitAsync().WaitAsync(timeout ?? TimeSpan.FromSeconds(60));
            Process.WaitForExit();
            return Process.ExitCode;
        }

        public void Dispose()
        {
            if (!Process.HasExited)
            {
                Process.Kill(entireProcessTree: true);
            }

            Process.Dispose();
        }

        private void Write(ITestOutputHelper output, string? line)
        {
            if (line is null)
            {
                return;
            }

            try
            {
                output.WriteLine($"worker {Id}: {line}");
            }
            catch (InvalidOperationException)
            {
                // The test is over.
            }
        }
    }
}
