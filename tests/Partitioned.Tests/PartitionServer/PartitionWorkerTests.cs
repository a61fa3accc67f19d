using System.Diagnostics;
using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Partitioned.Coordination;
using Partitioned.Security;
using Partitioned.Server;
using Partitioned.Tests.Coordinator;
using Xunit.Abstractions;

namespace Partitioned.Tests.PartitionServer;

/// <summary>
/// Worker mode from the outside: the test worker app started as a worker process by a driver written here from the
/// README's protocol spec (a coordinator with hand-made attempt routes), not by the process runner.
/// </summary>
public sealed class PartitionWorkerTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Worker_AgainstAHandWrittenDriver_ServesThenPostsItsResultsAndExitsZero()
    {
        await using var driver = await SpecDriver.StartAsync(output, rows: "10\n11\n\n12\n");
        using var worker = driver.StartWorker();

        await driver.WaitUntilServingAsync(worker);
        driver.RowsRequested.Should().BeTrue();
        using (var client = driver.PartitionClient())
        {
            (await client.GetStringAsync("app/rows")).Should().Be("[10,11,12]");
            (await client.PostAsync("control/shutdown", null)).EnsureSuccessStatusCode();
        }

        (await worker.ExitAsync()).Should().Be(WorkerExitCodes.Succeeded);
        driver.PostedResults.Should().Be("10\n11\n12\n");
        driver.ResultsContentType.Should().StartWith("application/x-ndjson");
    }

    [Fact]
    public async Task Worker_StandardInputClosed_AbandonsTheAttemptAndExits()
    {
        await using var driver = await SpecDriver.StartAsync(output);
        using var worker = driver.StartWorker();
        await driver.WaitUntilServingAsync(worker);

        worker.CloseInput();

        (await worker.ExitAsync(TimeSpan.FromSeconds(10))).Should().Be(WorkerExitCodes.Abandoned);
        worker.Error.Should().Contain("PartitionWorker: partition 0 attempt 0 abandoned: the driver closed the worker's standard input");
        driver.PostedResults.Should().BeNull();
    }

    [Fact]
    public async Task Worker_StandardInputClosed_WhileInitIgnoresCancellation_StillExitsWithinSeconds()
    {
        await using var driver = await SpecDriver.StartAsync(output, settings: """{"blockInitPartitions":[0]}""");
        using var worker = driver.StartWorker();
        await Eventually.TrueAsync(() => worker.Error.Contains(RowsServer.BlockMessage), "the worker's initialisation blocks");

        var clock = Stopwatch.StartNew();
        worker.CloseInput();

        (await worker.ExitAsync(TimeSpan.FromSeconds(15))).Should().Be(WorkerExitCodes.Abandoned);
        output.WriteLine($"exited {clock.ElapsedMilliseconds} ms after its standard input closed");
        clock.Elapsed.Should().BeGreaterThan(TimeSpan.FromSeconds(2), "it gave the attempt a grace period first");
        worker.Error.Should().Contain("exiting now");
    }

    [Fact]
    public async Task Worker_DriverProcessGone_WhileStandardInputStaysOpen_AbandonsTheAttemptAndExits()
    {
        // The stand-in driver lives until the test ends it: a fixed lifetime raced the worker's start on a busy
        // machine, and the worker, rightly, gave up before it served.
        await using var driver = await SpecDriver.StartAsync(output);
        using var standIn = Process.Start("/bin/sleep", "600")!;
        try
        {
            using var worker = driver.StartWorker(parentPid: standIn.Id);
            await driver.WaitUntilServingAsync(worker);

            standIn.Kill();
            await standIn.WaitForExitAsync();

            (await worker.ExitAsync(TimeSpan.FromSeconds(15))).Should().Be(WorkerExitCodes.Abandoned);
            worker.Error.Should().Contain($"abandoned: the driver process {standIn.Id} is gone");
        }
        finally
        {
            if (!standIn.HasExited)
            {
                standIn.Kill();
            }
        }
    }

    [Fact]
    public async Task Worker_WrongToken_ExitsAsInvalidLaunch_SayingTheTokenIsNotTheClusters()
    {
        await using var driver = await SpecDriver.StartAsync(output);
        using var worker = driver.StartWorker(token: ClusterToken.Create().Value);

        (await worker.ExitAsync()).Should().Be(WorkerExitCodes.InvalidLaunch);
        worker.Error.Should().Contain("refused the launch data").And.Contain("403").And.Contain("not the cluster's");
    }

    [Fact]
    public async Task Worker_NoToken_ExitsAsInvalidLaunch()
    {
        await using var driver = await SpecDriver.StartAsync(output);
        using var worker = driver.StartWorker(token: null);

        (await worker.ExitAsync()).Should().Be(WorkerExitCodes.InvalidLaunch);
        worker.Error.Should().Contain("No cluster token on standard input");
    }

    [Fact]
    public async Task Worker_UnknownServerName_ExitsAsInvalidLaunch_NamingTheRegisteredServers()
    {
        await using var driver = await SpecDriver.StartAsync(output);
        using var worker = driver.StartWorker(server: "no-such-server");

        (await worker.ExitAsync()).Should().Be(WorkerExitCodes.InvalidLaunch);
        worker.Error.Should().Contain("No server named 'no-such-server' is registered in this app (registered: 'parquet-shards', 'readings', 'rows', 'serving')");
    }

    [Fact]
    public async Task Worker_LaunchVariablesMissing_ExitsAsInvalidLaunch_ListingEveryOne()
    {
        var (exitCode, _, error) = await ExampleProcess.RunAsync(TestWorkers.Dll, "", TimeSpan.FromSeconds(60), new Dictionary<string, string> { ["PARTITIONED_WORKER"] = "1" });

        exitCode.Should().Be(WorkerExitCodes.InvalidLaunch);
        foreach (var name in (string[])["PARTITIONED_COORDINATOR", "PARTITIONED_CLUSTER_ID", "PARTITIONED_PARTITION", "PARTITIONED_ATTEMPT", "PARTITIONED_SERVER", "PARTITIONED_PARENT_PID"])
        {
            error.Should().Contain($"{name} is not set");
        }
    }

    [Fact]
    public void Environment_InvalidValues_AreEachNamed()
    {
        var variables = new Dictionary<string, string>
        {
            ["PARTITIONED_WORKER"] = "1",
            ["PARTITIONED_COORDINATOR"] = "ftp://127.0.0.1:1/",
            ["PARTITIONED_CLUSTER_ID"] = "c",
            ["PARTITIONED_PARTITION"] = "-1",
            ["PARTITIONED_ATTEMPT"] = "0",
            ["PARTITIONED_SERVER"] = "rows",
            ["PARTITIONED_PARENT_PID"] = "abc",
            ["PARTITIONED_LOG_LEVEL"] = "Loud",
        };

        var parsed = WorkerEnvironment.Parse(name => variables.GetValueOrDefault(name), out var problems);

        parsed.Should().BeNull();
        problems.Should().HaveCount(4);
        string.Join('\n', problems).Should().Contain("PARTITIONED_COORDINATOR must be an absolute http")
            .And.Contain("PARTITIONED_PARTITION must be an integer of at least 0 (was '-1')")
            .And.Contain("PARTITIONED_PARENT_PID must be an integer of at least 0 (was 'abc')")
            .And.Contain("PARTITIONED_LOG_LEVEL must be a log level name");
    }

    /// <summary>The driver half of the worker protocol, written from the spec: one partition, routes by hand.</summary>
    private sealed class SpecDriver : IAsyncDisposable
    {
        private readonly ILoggerFactory _loggerFactory;
        private readonly ClusterToken _token;
        private volatile string? _posted;
        private volatile string? _resultsContentType;
        private volatile bool _rowsRequested;

        private SpecDriver(ILoggerFactory loggerFactory, ClusterToken token)
        {
            _loggerFactory = loggerFactory;
            _token = token;
        }

        public Partitioned.Coordination.Coordinator Coordinator { get; private set; } = null!;

        public string? PostedResults => _posted;

        public string? ResultsContentType => _resultsContentType;

        public bool RowsRequested => _rowsRequested;

        public ITestOutputHelper Output { get; private init; } = null!;

        public static async Task<SpecDriver> StartAsync(ITestOutputHelper output, string rows = "1\n2\n", string settings = "{}")
        {
            var (loggerFactory, _) = TestLogging.Create(output, LogLevel.Information);
            var driver = new SpecDriver(loggerFactory, ClusterToken.Create()) { Output = output };
            driver.Coordinator = await Partitioned.Coordination.Coordinator.StartAsync(new CoordinatorOptions
            {
                PartitionCount = 1,
                Token = driver._token,
                LoggerFactory = loggerFactory,
                HealthCheckInterval = TimeSpan.FromHours(1),
                Modules =
                [
                    new ControlRoutes(v1 =>
                    {
                        v1.MapGet("/attempts/0/0", () => Results.Text(
                            $$$"""{"clusterId":"spec","partition":0,"attempt":0,"partitionCount":1,"server":"rows","settings":{{{settings}}},"serverOptions":{"bindAddress":"127.0.0.1","firstPort":0,"lastPort":0,"advertisedHost":null,"registrationTimeoutMs":10000,"drainTimeoutMs":5000}}""",
                            "application/json"));
                        v1.MapGet("/attempts/0/0/rows", () =>
                        {
                            driver._rowsRequested = true;
                            return Results.Text(rows, "application/x-ndjson");
                        });
                        v1.MapPost("/attempts/0/0/results", async (HttpRequest request) =>
                        {
                            using var reader = new StreamReader(request.Body, Encoding.UTF8);
                            driver._resultsContentType = request.ContentType;
                            driver._posted = await reader.ReadToEndAsync();
                            return Results.Json(new { partition = 0, attempt = 0, count = driver._posted.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length });
                        });
                    }),
                ],
            });
            return driver;
        }

        public WorkerProcess StartWorker(string? token = "", string server = "rows", int? parentPid = null)
        {
            var start = new ProcessStartInfo(TestWorkers.Options.Executable!)
            {
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            start.ArgumentList.Add(TestWorkers.Dll);
            start.Environment["PARTITIONED_WORKER"] = "1";
            start.Environment["PARTITIONED_COORDINATOR"] = Coordinator.Address.ToString();
            start.Environment["PARTITIONED_CLUSTER_ID"] = "spec";
            start.Environment["PARTITIONED_PARTITION"] = "0";
            start.Environment["PARTITIONED_ATTEMPT"] = "0";
            start.Environment["PARTITIONED_SERVER"] = server;
            start.Environment["PARTITIONED_PARENT_PID"] = (parentPid ?? Environment.ProcessId).ToString(CultureInfo.InvariantCulture);
            var worker = new WorkerProcess(Process.Start(start)!, Output);
            if (token is null)
            {
                worker.CloseInput();
            }
            else
            {
                worker.Process.StandardInput.Write((token.Length == 0 ? _token.Value : token) + "\n");
                worker.Process.StandardInput.Flush();
            }

            return worker;
        }

        public async Task WaitUntilServingAsync(WorkerProcess worker)
        {
            await Task.WhenAny(
                Coordinator.Directory.WaitUntilAsync(static s => s.IsComplete, CancellationToken.None),
                worker.Process.WaitForExitAsync()).WaitAsync(TimeSpan.FromSeconds(60));
            worker.Process.HasExited.Should().BeFalse($"the worker should serve, but it exited: {worker.Error}");
        }

        public HttpClient PartitionClient()
        {
            var client = new HttpClient { BaseAddress = Coordinator.Directory.Current[0].Endpoint };
            client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", _token.Value);
            return client;
        }

        public async ValueTask DisposeAsync()
        {
            await Coordinator.DisposeAsync();
            _loggerFactory.Dispose();
        }
    }

    /// <summary>A worker process started by the test, its output collected.</summary>
    private sealed class WorkerProcess : IDisposable
    {
        private readonly StringBuilder _error = new();
        private readonly ITestOutputHelper _output;

        public WorkerProcess(Process process, ITestOutputHelper output)
        {
            Process = process;
            _output = output;
            process.OutputDataReceived += (_, e) => Write("stdout", e.Data);
            process.ErrorDataReceived += (_, e) =>
            {
                lock (_error)
                {
                    _error.AppendLine(e.Data);
                }

                Write("stderr", e.Data);
            };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
        }

        public Process Process { get; }

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

        public void CloseInput() => Process.StandardInput.Close();

        public async Task<int> ExitAsync(TimeSpan? timeout = null)
        {
            await Process.WaitForExitAsync().WaitAsync(timeout ?? TimeSpan.FromSeconds(60));
            Process.WaitForExit(); // drains the output events
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

        private void Write(string stream, string? line)
        {
            if (line is null)
            {
                return;
            }

            try
            {
                _output.WriteLine($"worker {stream}: {line}");
            }
            catch (InvalidOperationException)
            {
                // The test is over.
            }
        }
    }
}
