using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using Microsoft.Extensions.Logging;
using Partitioned.Directories;
using Partitioned.Serving;
using Partitioned.Tests.Cluster;
using Xunit.Abstractions;

namespace Partitioned.Tests.Serving;

/// <summary>kill -9 of a partition process while requests are in flight, in both modes (process runner, real worker processes).</summary>
public sealed class ServingFaultToleranceTests(ITestOutputHelper output) : IDisposable
{
    private readonly (ILoggerFactory Factory, CapturingLoggerProvider Logs) _logging = TestLogging.Create(output);

    public void Dispose() => _logging.Factory.Dispose();

    [Fact]
    public async Task HeadNode_KillNineWhileRequestsAreHeld_EveryAcceptedRequestIsAnswered()
    {
        await using var serving = await ServingCluster.StartAsync(
            TestClusters.Integers(4, 2),
            TestServers.ServingWith(new ServingTestSettings { SlowConcurrency = 2 }),
            new ServingOptions { Mode = ServingMode.HeadNode, Services = ["slow"], Deadline = TimeSpan.FromSeconds(30) },
            TestClusters.Options(_logging.Factory, TestWorkers.Runner()));
        var victim = await InfoAsync(serving, 1);
        using var client = new HttpClient { BaseAddress = serving.Address };
        var requests = Enumerable.Range(0, 24).Select(_ => client.PostAsJsonAsync("serve/slow", new { ms = 400 })).ToArray();

        // Both partitions pull as much as their handlers can take; partition 1 dies holding some.
        await Eventually.TrueAsync(() => serving.HeadNode!.CountHeld(1) > 0, "partition 1 holds requests");
        Kill(victim.ProcessId);
        var responses = await Task.WhenAll(requests).WaitAsync(TimeSpan.FromSeconds(60));

        responses.Should().OnlyContain(r => r.StatusCode == HttpStatusCode.OK, "requests the dead attempt held are replayed, not lost");
        var who = await Task.WhenAll(responses.Select(r => r.Content.ReadFromJsonAsync<WhoReply>()));
        who.Should().Contain(w => w!.Partition == 0);
        _logging.Logs.Text.Should().Contain("replaying").And.Contain("held by partition 1");
        await serving.Cluster.WaitForAllServingAsync(TimeSpan.FromSeconds(30));
        serving.Cluster.Directory.Current[1].Attempt.Should().Be(1);
    }

    [Fact]
    public async Task Distributed_KillNine_HeldConnectionsFailAtOnce_AndTheGatewayRoutesAroundUntilItIsBack()
    {
        await using var serving = await ServingCluster.StartAsync(
            TestClusters.Integers(4, 2),
            TestServers.ServingWith(new ServingTestSettings { SlowConcurrency = 4 }),
            new ServingOptions(),
            TestClusters.Options(_logging.Factory, TestWorkers.Runner()) with { HealthCheckInterval = TimeSpan.FromHours(1) });
        var victim = await InfoAsync(serving, 1);
        var back = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        serving.Cluster.PartitionChanged += (_, change) =>
        {
            if (change.Partition == 1 && change.Kind == PartitionChangeKind.Replaced)
            {
                back.TrySetResult();
            }
        };
        using var direct = new HttpClient { BaseAddress = serving.Cluster.Hosts[1] };
        using var gateway = new HttpClient { BaseAddress = serving.Address };

        // Requests held by partition 1: one sent to it directly, one of two through the gateway (round robin).
        var heldDirectly = direct.PostAsJsonAsync("serve/slow", new { ms = 8000 });
        var viaGateway = Enumerable.Range(0, 2).Select(_ => gateway.PostAsJsonAsync("serve/slow", new { ms = 8000 })).ToArray();
        await Eventually.TrueAsync(async () => await ClusterProbes.InFlightAsync(serving.Cluster, 1) >= 2, "partition 1 holds its two requests");
        var clock = Stopwatch.StartNew();
        Kill(victim.ProcessId);

        // Never a hang: the direct connection breaks, the gateway answers 502 for what partition 1 held.
        var directFailure = async () => await heldDirectly;
        await directFailure.Should().ThrowAsync<HttpRequestException>();
        var gatewayHeld = await Task.WhenAny(viaGateway);
        (await gatewayHeld).StatusCode.Should().Be(HttpStatusCode.BadGateway);
        clock.Elapsed.Should().BeLessThan(TimeSpan.FromSeconds(6), "held connections fail when the process dies, not when the 8 s handler would have answered");

        // Until partition 1 is back, every request goes to partition 0.
        var meanwhile = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => gateway.PostAsJsonAsync("serve/slow", new { ms = 1 })));
        meanwhile.Should().OnlyContain(r => r.StatusCode == HttpStatusCode.OK);

        await back.Task.WaitAsync(TimeSpan.FromSeconds(30));
        var after = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => gateway.PostAsJsonAsync("serve/slow", new { ms = 1 })));
        var who = await Task.WhenAll(after.Select(r => r.Content.ReadFromJsonAsync<WhoReply>()));
        who.Should().Contain(w => w!.Partition == 1 && w.Attempt == 1, "the gateway sends to the re-launched attempt again");
    }

    private static async Task<ServerInfo> InfoAsync(ServingCluster<int, int> serving, int partition) =>
        (await serving.Cluster.GetClient(partition).GetFromJsonAsync<ServerInfo>("info"))!;

    private static void Kill(int pid)
    {
        using var process = Process.GetProcessById(pid);
        process.Kill(); // SIGKILL, like kill -9
    }
}
