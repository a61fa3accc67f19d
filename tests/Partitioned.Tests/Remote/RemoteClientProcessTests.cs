using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using Microsoft.Extensions.Logging;
using Partitioned.Clustering;
using Partitioned.Directories;
using Partitioned.Security;
using Xunit.Abstractions;
using Clustering = Partitioned.Clustering;

namespace Partitioned.Tests.Remote;

/// <summary>
/// A client in a process of its own (tests/Partitioned.TestClient, which references only Partitioned.Client) against a
/// process-runner cluster: it discovers the cluster with a client key, queries every partition, is refused every control
/// action (403) and everything without a key (401), and follows a kill -9 and re-launch through Watch without missing a change.
/// </summary>
public sealed class RemoteClientProcessTests(ITestOutputHelper output) : IDisposable
{
    private readonly (ILoggerFactory Factory, CapturingLoggerProvider Logs) _logging = TestLogging.Create(output);

    public void Dispose() => _logging.Factory.Dispose();

    [Fact]
    public async Task RemoteClient_WithKey_QueriesEveryPartition_IsRefusedControl_AndFollowsAKillAndRelaunch()
    {
        var key = ClientKey.Create();
        await using var cluster = await Clustering.Cluster.StartAsync(
            TestClusters.Integers(8, 2),
            TestServers.RowsWith(),
            TestClusters.Options(_logging.Factory, TestWorkers.Runner()) with { ClientKeys = [key] });
        await using var client = RunningProcess.Start(
            ExampleProcess.DllOf("tests", "Partitioned.TestClient"),
            $"follow {cluster.CoordinatorAddress}",
            new Dictionary<string, string> { ["PARTITIONED_CLIENT_KEY"] = key.Value });
        try
        {
            await client.WaitForLineAsync(l => l.Contains("client: ready", StringComparison.Ordinal), TimeSpan.FromSeconds(60));
            var lines = ClientLines(client.Output);

            // Discovered and queried every partition directly.
            lines.Should().Contain(l => l.StartsWith("connected", StringComparison.Ordinal) && l.Contains("serving=2", StringComparison.Ordinal));
            var info1 = (await cluster.GetClient(1).GetFromJsonAsync<ServerInfo>("info"))!;
            lines.Should().Contain($"query partition=0 pid={(await cluster.GetClient(0).GetFromJsonAsync<ServerInfo>("info"))!.ProcessId}");
            lines.Should().Contain($"query partition=1 pid={info1.ProcessId}");
            lines.Should().Contain(l => l.StartsWith("balancer policy=RoundRobin picked=True", StringComparison.Ordinal));

            // The key reads, and is refused every control action; nothing works without a key.
            lines.Should().Contain("check hosts 200");
            foreach (var control in new[] { "register", "failures", "attempts", "rows", "shutdown", "health" })
            {
                lines.Should().Contain($"check {control} 403", $"a client key may not {control}");
            }

            lines.Should().Contain(["check nokey-hosts 401", "check nokey-client 401", "check nokey-status 401", "check nokey-grpc Unauthenticated", "check badkey-grpc PermissionDenied"]);
            lines.Should().Contain(l => l.StartsWith("badkey-connect refused", StringComparison.Ordinal));
            cluster.Directory.Current[0].Attempt.Should().Be(0, "the refused registration changed nothing");
            _logging.Logs.Text.Should().NotContain(key.Value, "a client key is never logged");

            // kill -9 of partition 1's worker: the client sees it lost and re-launched, every version in order.
            var connected = long.Parse(lines.Single(l => l.StartsWith("connected", StringComparison.Ordinal)).Split(' ')[1]["version=".Length..], CultureInfo.InvariantCulture);
            using (var victim = Process.GetProcessById(info1.ProcessId))
            {
                victim.Kill();
            }

            await cluster.Directory.WaitUntilAsync(s => s[1].Attempt == 1 && s[1].State == PartitionState.Serving, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(60));
            var expected = cluster.Directory.Current.Version;
            await client.WaitForLineAsync(l => l.Contains($"change version={expected} ", StringComparison.Ordinal), TimeSpan.FromSeconds(30));

            var changes = ClientLines(client.Output).Where(l => l.StartsWith("change", StringComparison.Ordinal)).ToList();
            var versions = changes.Select(l => long.Parse(Field(l, "version"), CultureInfo.InvariantCulture)).ToList();
            versions.Should().Equal(Enumerable.Range(0, (int)(expected - connected)).Select(i => connected + 1 + i), "every change once, in order, none missed");
            var partition1 = changes.Where(l => Field(l, "partition") == "1").ToList();
            partition1.Should().Contain(l => Field(l, "state") != "Serving", "the client saw the partition go down");
            partition1[^1].Should().Contain("state=Serving").And.Contain("attempt=1", "and come back as attempt 1");
        }
        finally
        {
            output.WriteLine(client.Output);
        }

        client.CloseInput();
        (await client.WaitForExitAsync(TimeSpan.FromSeconds(30))).Should().Be(0);
    }

    private static List<string> ClientLines(string text) =>
        [.. text.Split(Environment.NewLine).Where(l => l.StartsWith("client: ", StringComparison.Ordinal)).Select(l => l["client: ".Length..])];

    private static string Field(string line, string name) =>
        line.Split(' ').Single(part => part.StartsWith(name + "=", StringComparison.Ordinal))[(name.Length + 1)..];
}
