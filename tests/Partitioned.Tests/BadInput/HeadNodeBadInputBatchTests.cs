using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using Microsoft.Extensions.Logging;
using Partitioned.Serving;
using Xunit.Abstractions;
using static Partitioned.Tests.BadInput.BadBodies;

namespace Partitioned.Tests.BadInput;

/// <summary>
/// Head-node mode: a bad request pulled in the same batch as good ones costs only itself. The partition is a real
/// worker process, paused (SIGSTOP) while the requests queue at the ingress, so that on resuming it pulls them all
/// in one batch, the bad one in the middle.
/// </summary>
public sealed class HeadNodeBadInputBatchTests(ITestOutputHelper output) : IDisposable
{
    private readonly (ILoggerFactory Factory, CapturingLoggerProvider Logs) _logging = TestLogging.Create(output, LogLevel.Information);

    public void Dispose() => _logging.Factory.Dispose();

    [Theory]
    [InlineData(HeadNodeTransport.GrpcStream)]
    [InlineData(HeadNodeTransport.HttpLongPoll)]
    public async Task BatchWithOneBadRequest_EveryGoodRequestGets200_AndTheBadOne400(HeadNodeTransport transport)
    {
        await using var serving = await ServingCluster.StartAsync(
            TestClusters.Integers(2, 1),
            TestServers.ServingWith(),
            new ServingOptions { Mode = ServingMode.HeadNode, Services = ["hello"], Deadline = TimeSpan.FromSeconds(20), HeadNodeTransport = transport },
            TestClusters.Options(_logging.Factory, TestWorkers.Runner()) with { HealthCheckInterval = TimeSpan.FromHours(1) });
        using var client = new HttpClient { BaseAddress = serving.Address };
        var ingress = serving.HeadNode!;
        var worker = (await serving.Cluster.GetClient(0).GetFromJsonAsync<ServerInfo>("info"))!.ProcessId;
        (await client.PostAsJsonAsync("serve/hello", new { foo = "warm", bar = 0 })).StatusCode.Should().Be(HttpStatusCode.OK, "the partition pulls");

        // Twelve requests after the first (which may leave with the pull the partition had open when it paused): fewer
        // than the 16 a partition with 4 handler slots pulls at once, so they leave together. The bad one is the 7th:
        // invalid UTF-8 inside a string, which only binding finds, so it passes the ingress and reaches the partition.
        var bad = Splice("""{"foo":"b""", [0xFF], "\",\"bar\":1}");
        var sent = new List<(string Foo, Task<HttpResponseMessage> Response)>();
        Signal("STOP", worker);
        try
        {
            for (var i = 0; i < 13; i++)
            {
                var foo = i == 6 ? null : new string('g', i + 1);
                var body = foo is null ? bad : Utf8($$"""{"foo":"{{foo}}","bar":{{i}}}""");
                sent.Add((foo ?? "bad", client.PostAsync("serve/hello", new ByteArrayContent(body) { Headers = { ContentType = new("application/json") } })));

                // One at a time, so they queue in this order.
                await Eventually.TrueAsync(() => ingress.CountWaiting("hello") + ingress.CountHeld(0) == sent.Count, $"request {i} reached the ingress");
            }

            if (transport == HeadNodeTransport.HttpLongPoll)
            {
                ingress.CountWaiting("hello").Should().BeGreaterThanOrEqualTo(12, "the paused partition took at most the first");
            }
            else
            {
                // A stream pushes against the credit the partition granted before it paused: the requests wait in the
                // stream (held by partition 0), and the partition takes them all when it resumes, the bad one among them.
                (ingress.CountWaiting("hello") + ingress.CountHeld(0)).Should().Be(13, "nothing was answered while the partition was paused");
            }
        }
        finally
        {
            Signal("CONT", worker);
        }

        var responses = await Task.WhenAll(sent.Select(s => s.Response)).WaitAsync(TimeSpan.FromSeconds(60));

        using var scope = new FluentAssertions.Execution.AssertionScope();
        for (var i = 0; i < sent.Count; i++)
        {
            var (foo, response) = (sent[i].Foo, responses[i]);
            if (foo == "bad")
            {
                response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
                (await response.Content.ReadAsStringAsync()).Should().Contain("not valid UTF-8");
            }
            else
            {
                response.StatusCode.Should().Be(HttpStatusCode.OK, $"request {i} was good; it got {await response.Content.ReadAsStringAsync()}");
                if (response.IsSuccessStatusCode)
                {
                    (await response.ReadAsync<HelloReply>()).FooLength.Should().Be(foo.Length);
                }
            }
        }
    }

    private static void Signal(string signal, int pid)
    {
        using var kill = Process.Start("kill", $"-{signal} {pid}");
        kill.WaitForExit();
        kill.ExitCode.Should().Be(0, $"SIG{signal} reached worker {pid}");
    }
}
