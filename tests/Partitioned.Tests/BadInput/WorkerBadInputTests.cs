using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Partitioned.Coordination;
using Partitioned.Security;
using Partitioned.Server;
using Partitioned.Tests.Coordinator;
using Xunit.Abstractions;
using static Partitioned.Tests.BadInput.BadBodies;

namespace Partitioned.Tests.BadInput;

/// <summary>
/// The worker's side of the protocol reads strictly too: a worker process (the test worker app) given bad launch
/// data, settings or rows by a hand-written driver refuses them, exits non-zero and says on stderr what was wrong,
/// instead of running on a guess. With good data the same worker serves its rows.
/// </summary>
public sealed class WorkerBadInputTests(ITestOutputHelper output)
{
    private const string Launch = """{"clusterId":"bad","partition":0,"attempt":0,"partitionCount":1,"server":"rows","settings":{},"serverOptions":{"bindAddress":"127.0.0.1","firstPort":0,"lastPort":0,"advertisedHost":null,"registrationTimeoutMs":10000,"drainTimeoutMs":5000}}""";

    public static TheoryData<string, string, string, int, string[]> Cases => new()
    {
        { "the partition as a string", Launch.Replace("\"partition\":0", "\"partition\":\"0\"", StringComparison.Ordinal), "1\n", WorkerExitCodes.AttemptFailed, ["$.partition"] },
        { "a launch field missing", Launch.Replace("\"partitionCount\":1,", "", StringComparison.Ordinal), "1\n", WorkerExitCodes.AttemptFailed, ["partitionCount"] },
        { "a setting as a string", Launch.Replace("\"settings\":{}", "\"settings\":{\"failInitBelowAttempt\":\"1\"}", StringComparison.Ordinal), "1\n", WorkerExitCodes.InvalidLaunch, ["not a valid TestServerSettings", "$.failInitBelowAttempt"] },
        { "a row that is a number in a string", Launch, "1\n\"2\"\n", WorkerExitCodes.AttemptFailed, ["line 2 is not a valid Int32", "expected Int32, got \"2\" (a string)"] },
        { "a row of invalid UTF-8", Launch, "1\n\"\u00ff\"\n", WorkerExitCodes.AttemptFailed, ["line 2 is not a valid Int32", "not valid UTF-8"] },
        { "a row nested 10,000 levels", Launch, Nested() + "\n", WorkerExitCodes.AttemptFailed, ["line 1 is not a valid Int32", "nested"] },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Worker_BadLaunchDataOrRows_ExitsNonZero_SayingWhatWasWrong(string name, string launch, string rows, int exitCode, string[] mentions)
    {
        var (code, error, _) = await RunWorkerAsync(launch, Rows(rows));

        output.WriteLine($"{name}: exit {code}");
        code.Should().Be(exitCode);
        foreach (var mention in mentions)
        {
            error.Should().Contain(mention);
        }
    }

    [Fact]
    public async Task Worker_GoodLaunchDataAndRows_Serves()
    {
        var (code, error, served) = await RunWorkerAsync(Launch, Rows("1\r\n\n2\n3"));

        code.Should().Be(WorkerExitCodes.Succeeded, error);
        served.Should().Be("[1,2,3]");
    }

    // The one row case that needs bytes that are not UTF-8: U+00FF in the text stands for the single byte 0xFF.
    private static byte[] Rows(string rows) => rows.Contains('\u00ff', StringComparison.Ordinal)
        ? Splice(rows[..rows.IndexOf('\u00ff', StringComparison.Ordinal)], [0xFF], rows[(rows.IndexOf('\u00ff', StringComparison.Ordinal) + 1)..])
        : Utf8(rows);

    /// <summary>Runs one attempt of the test worker against a coordinator that serves <paramref name="launch"/> and <paramref name="rows"/>.</summary>
    /// <returns>The exit code, standard error, and the rows the worker served (null when it never served).</returns>
    private async Task<(int ExitCode, string Error, string? Served)> RunWorkerAsync(string launch, byte[] rows)
    {
        var (loggerFactory, _) = TestLogging.Create(output, LogLevel.Information);
        using var _ = loggerFactory;
        var token = ClusterToken.Create();
        await using var coordinator = await Partitioned.Coordination.Coordinator.StartAsync(new CoordinatorOptions
        {
            PartitionCount = 1,
            Token = token,
            LoggerFactory = loggerFactory,
            HealthCheckInterval = TimeSpan.FromHours(1),
            Modules =
            [
                new ControlRoutes(v1 =>
                {
                    v1.MapGet("/attempts/0/0", () => Results.Text(launch, "application/json"));
                    v1.MapGet("/attempts/0/0/rows", () => Results.Bytes(rows, "application/x-ndjson"));
                    v1.MapPost("/attempts/0/0/results", () => Results.Json(new { partition = 0, attempt = 0, count = 0 }));
                }),
            ],
        });

        var start = new ProcessStartInfo(TestWorkers.Options.Executable!) { RedirectStandardInput = true, RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        start.ArgumentList.Add(TestWorkers.Dll);
        foreach (var (variable, value) in new Dictionary<string, string>
        {
            ["PARTITIONED_WORKER"] = "1",
            ["PARTITIONED_COORDINATOR"] = coordinator.Address.ToString(),
            ["PARTITIONED_CLUSTER_ID"] = "bad",
            ["PARTITIONED_PARTITION"] = "0",
            ["PARTITIONED_ATTEMPT"] = "0",
            ["PARTITIONED_SERVER"] = "rows",
            ["PARTITIONED_PARENT_PID"] = Environment.ProcessId.ToString(CultureInfo.InvariantCulture),
        })
        {
            start.Environment[variable] = value;
        }

        using var worker = Process.Start(start)!;
        var error = new StringBuilder();
        worker.ErrorDataReceived += (_, e) => { lock (error) { error.AppendLine(e.Data); } };
        worker.OutputDataReceived += (_, _) => { };
        worker.BeginErrorReadLine();
        worker.BeginOutputReadLine();
        try
        {
            await worker.StandardInput.WriteLineAsync(token.Value);
            await worker.StandardInput.FlushAsync();

            string? served = null;
            var exited = worker.WaitForExitAsync();
            await Task.WhenAny(exited, coordinator.Directory.WaitUntilAsync(static s => s.IsComplete, CancellationToken.None)).WaitAsync(TimeSpan.FromSeconds(60));
            if (!exited.IsCompleted)
            {
                using var partition = new HttpClient { BaseAddress = coordinator.Directory.Current[0].Endpoint };
                partition.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token.Value);
                served = await partition.GetStringAsync("app/rows");
                (await partition.PostAsync("control/shutdown", null)).EnsureSuccessStatusCode();
            }

            await exited.WaitAsync(TimeSpan.FromSeconds(60));
            worker.WaitForExit(); // drains the output events
            lock (error)
            {
                output.WriteLine(error.ToString());
                return (worker.ExitCode, error.ToString(), served);
            }
        }
        finally
        {
            if (!worker.HasExited)
            {
                worker.Kill(entireProcessTree: true);
            }
        }
    }
}
