using System.Net.Http.Json;
using Microsoft.Extensions.Logging;
using Partitioned.Routing;
using Partitioned.Serving;
using Xunit.Abstractions;

namespace Partitioned.Tests.Replicas;

/// <summary>kill -9 of one replica under steady load through the gateway (real worker processes, real HTTP).</summary>
public sealed class ReplicaFailoverTests(ITestOutputHelper output) : IDisposable
{
    private readonly (ILoggerFactory Factory, CapturingLoggerProvider Logs) _logging = TestLogging.Create(output);

    public void Dispose() => _logging.Factory.Dispose();

    [Fact]
    public async Task KillNine_OneReplicaUnderSteadyLoad_IdempotentService_EveryRequestIsAnswered200()
    {
        await using var serving = await StartAsync();
        using var client = new HttpClient { BaseAddress = serving.Address };
        var load = SteadyLoad.Start(client, "serve/version", new { ms = 20 }, loops: 8);
        await load.WaitForAnswersAsync(100, TimeSpan.FromSeconds(60));

        var victim = await KillReplicaAsync(serving, partition: 1, replica: 0);
        await load.WaitForAnswersAsync(100, TimeSpan.FromSeconds(60));
        await serving.Cluster.Directory.WaitUntilAsync(s => s.IsFullStrength && s[1].Replicas[0].Attempt != victim, new CancellationTokenSource(TimeSpan.FromSeconds(60)).Token);
        await Eventually.TrueAsync(() => load.Answers.Any(a => a.Reply is { Partition: 1, Replica: 0 } reply && reply.Attempt != victim), "the re-launched replica answers", TimeSpan.FromSeconds(60));
        await load.StopAsync();

        output.WriteLine($"{load.Answers.Count} answers, {load.Answers.Count(a => a.Status != 200)} not 200, {load.Errors.Count} broken");
        load.Errors.Should().BeEmpty();
        load.Answers.Where(a => a.Status != 200).Should().BeEmpty("the gateway sends what the dead replica held to another replica");
        _logging.Logs.Text.Should().Contain("goes to another replica");
        load.Answers.Should().Contain(a => a.Reply!.Partition == 1 && a.Reply.Replica == 0 && a.Reply.Attempt != victim, "the re-launched replica serves again");
    }

    [Fact]
    public async Task KillNine_OneReplicaUnderSteadyLoad_IdempotentBalancerClient_EveryRequestIsAnswered200()
    {
        var (load, balancer) = await KillOneReplicaUnderBalancedLoadAsync(balancer => balancer.CreateClient(inner: null, idempotent: true), partition: 0, replica: 1);

        output.WriteLine($"{load.Answers.Count} answers, {load.Errors.Count} broken");
        load.Errors.Should().BeEmpty("the balancer sends a request whose replica died to another replica");
        load.Answers.Should().OnlyContain(a => a.Status == 200);
        balancer.Outstanding.Should().OnlyContain(count => count == 0);
    }

    [Fact]
    public async Task KillNine_OneReplicaUnderSteadyLoad_BalancerClientWithoutTheFlag_ResendsWhatTheReplicasAnnounceAsIdempotent()
    {
        var (load, _) = await KillOneReplicaUnderBalancedLoadAsync(static balancer => balancer.CreateClient(), partition: 1, replica: 1);

        output.WriteLine($"{load.Answers.Count} answers, {load.Errors.Count} broken");
        load.Errors.Should().BeEmpty("the replicas announced \"version\" as idempotent when they registered, so the balancer resends");
        load.Answers.Should().OnlyContain(a => a.Status == 200);
    }

    [Fact]
    public async Task KillNine_OneReplicaUnderSteadyLoad_NotIdempotent_OnlyTheRequestsItHeldFail()
    {
        await using var serving = await StartAsync();
        using var client = new HttpClient { BaseAddress = serving.Address };
        const int loops = 8;
        var load = SteadyLoad.Start(client, "serve/version-once", new { ms = 100 }, loops);
        await load.WaitForAnswersAsync(40, TimeSpan.FromSeconds(60));

        await KillReplicaAsync(serving, partition: 1, replica: 0);
        await load.WaitForAnswersAsync(80, TimeSpan.FromSeconds(60));
        await load.StopAsync();

        var failed = load.Answers.Where(a => a.Status != 200).ToList();
        output.WriteLine($"{load.Answers.Count} answers, {failed.Count} not 200");
        load.Errors.Should().BeEmpty();
        failed.Should().OnlyContain(a => a.Status == 502, "a request the dead replica held may have been processed: 502, not resent");
        failed.Count.Should().BeLessThanOrEqualTo(loops, "only requests under way at the dead replica fail; later ones go to live replicas");
    }

    [Fact]
    public async Task KillNine_ReplicaHoldingTheFirstRequestsEver_IdempotentService_EveryRequestIsAnswered200()
    {
        await using var serving = await StartAsync();

        // Each replica announced its idempotent services (and the server's own label) when it registered: the gateway
        // knows before any answer, so even the very first requests are covered.
        foreach (var replica in serving.Cluster.Directory.Current.Partitions.SelectMany(static p => p.Replicas))
        {
            replica.Labels.Should().Contain("partitioned.serving/idempotent", "version,work").And.Contain("test/rows", "4");
        }

        using var client = new HttpClient { BaseAddress = serving.Address, Timeout = TimeSpan.FromSeconds(60) };
        var requests = Enumerable.Range(0, 8).Select(_ => client.PostAsJsonAsync("serve/version", new { ms = 3000 })).ToList();
        var victim = serving.Cluster.Directory.Current[1].Replicas[0];
        using var direct = new HttpClient { BaseAddress = new Uri(victim.Endpoint!, "app/") };
        await Eventually.TrueAsync(async () => await direct.GetFromJsonAsync<int>("versions-in-flight") > 0, "the replica holds some of the first requests", TimeSpan.FromSeconds(30));
        var info = (await direct.GetFromJsonAsync<ServerInfo>("info"))!;
        ReplicaProcesses.Kill(info.ProcessId);

        var answers = await Task.WhenAll(requests);
        var statuses = answers.Select(static a => (int)a.StatusCode).ToList();
        output.WriteLine(string.Join(", ", statuses));
        statuses.Should().OnlyContain(s => s == 200, "no answer had come back yet, and still the gateway knew the service is idempotent");
        _logging.Logs.Text.Should().Contain("goes to another replica");
    }

    // Steady "version" load through a client-side balancer's client, with one replica killed -9 under it; the load has stopped.
    private async Task<(SteadyLoad Load, PartitionBalancer Balancer)> KillOneReplicaUnderBalancedLoadAsync(Func<PartitionBalancer, HttpClient> createClient, int partition, int replica)
    {
        await using var serving = await StartAsync();
        var balancer = new PartitionBalancer(serving.Cluster.Directory);
        using var client = createClient(balancer);
        var load = SteadyLoad.Start(client, "serve/version", new { ms = 50 }, loops: 8);
        await load.WaitForAnswersAsync(50, TimeSpan.FromSeconds(60));

        await KillReplicaAsync(serving, partition, replica);
        await load.WaitForAnswersAsync(100, TimeSpan.FromSeconds(60));
        await load.StopAsync();
        return (load, balancer);
    }

    private async Task<ServingCluster<int, int>> StartAsync() =>
        await ServingCluster.StartAsync(
            TestClusters.Integers(8, 2),
            TestServers.ServingWith(),
            new ServingOptions { Deadline = TimeSpan.FromSeconds(30) },
            TestClusters.Options(_logging.Factory, TestWorkers.Runner()) with { Replicas = 2, HealthCheckInterval = TimeSpan.FromMilliseconds(500) });

    // Kills one replica's worker process; returns the attempt that died.
    private static async Task<int> KillReplicaAsync(ServingCluster<int, int> serving, int partition, int replica)
    {
        var entry = serving.Cluster.Directory.Current[partition].Replicas[replica];
        using var direct = new HttpClient { BaseAddress = new Uri(entry.Endpoint!, "app/") };
        var info = (await direct.GetFromJsonAsync<ServerInfo>("info"))!;
        ReplicaProcesses.Kill(info.ProcessId);
        return entry.Attempt;
    }
}
