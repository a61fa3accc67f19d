using System.Net;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Partitioned.Clustering;
using Partitioned.Coordination;
using Partitioned.Routing;
using Partitioned.Security;
using Partitioned.Serving;
using Xunit.Abstractions;

namespace Partitioned.Tests.Hosting;

/// <summary>A cluster hosted in a real <see cref="WebApplication"/>: settings from configuration, start and stop with the host, health checks.</summary>
public sealed class ClusterHostingTests(ITestOutputHelper output)
{
    [Fact]
    public async Task WebApplication_StartsTheClusterWithItsSettings_ServesThroughIt_ReportsHealth_AndStopsItGracefully()
    {
        var (loggerFactory, logs) = TestLogging.Create(output, LogLevel.Information);
        using var _ = loggerFactory;
        var builder = CreateBuilder(loggerFactory, new()
        {
            ["PartitionedCluster:MaxAttempts"] = "2",
            ["PartitionedCluster:StartTimeout"] = "00:00:45",
            ["PartitionedCluster:HealthCheckInterval"] = "00:00:00.200",
            ["PartitionedCluster:Runner"] = "in-process",
            ["PartitionedCluster:Server:DrainTimeout"] = "00:00:05",
        });
        builder.Services.AddPartitionedCluster(TestClusters.Integers(6, 3), TestServers.RowsWith()).BindConfiguration("PartitionedCluster");
        builder.Services.AddHealthChecks().AddPartitionedCluster<int, int>();
        await using var app = builder.Build();
        app.MapHealthChecks("/health");
        app.MapGet("/total", async (Cluster<int, int> cluster) => (await cluster.ScatterGetAsync<int[]>("rows", new ScatterOptions { RequireAll = true })).Values.Sum(static rows => rows.Sum()));

        await app.StartAsync();
        var cluster = app.Services.GetRequiredService<Cluster<int, int>>();
        using var http = new HttpClient { BaseAddress = Address(app) };

        cluster.State.Should().Be(ClusterState.Running, "the host's start waits until every partition serves");
        cluster.Options.MaxAttempts.Should().Be(2);
        cluster.Options.StartTimeout.Should().Be(TimeSpan.FromSeconds(45));
        cluster.Options.Server.DrainTimeout.Should().Be(TimeSpan.FromSeconds(5));
        cluster.Options.LoggerFactory.Should().BeSameAs(app.Services.GetRequiredService<ILoggerFactory>(), "the host's logger factory is used");
        (await http.GetFromJsonAsync<int>("total")).Should().Be(15);
        (await http.GetStringAsync("health")).Should().Be("Healthy");

        cluster.Directory.MarkLost(1, cluster.Directory.Current[1].Attempt, "declared lost by the test");
        (await http.GetStringAsync("health")).Should().Be("Degraded");

        // It answers the next health check, so it serves again.
        await Eventually.TrueAsync(async () => await http.GetStringAsync("health") == "Healthy", "the partition serves again");

        await app.StopAsync();
        cluster.State.Should().Be(ClusterState.Stopped);
        logs.Text.Should().Contain("The host stopped the cluster: 3 partitions drained and handed back their results.");
    }

    [Fact]
    public async Task WebApplication_MisspeltSetting_FailsTheStart_NamingTheKey()
    {
        var (loggerFactory, _) = TestLogging.Create(output, LogLevel.Warning);
        using var _ = loggerFactory;
        var builder = CreateBuilder(loggerFactory, new() { ["PartitionedCluster:MaxAtempts"] = "2" });
        builder.Services.AddPartitionedCluster(TestClusters.Integers(2, 1), TestServers.RowsWith()).BindConfiguration("PartitionedCluster");
        await using var app = builder.Build();

        var error = (await app.Invoking(static a => a.StartAsync()).Should().ThrowAsync<InvalidOperationException>()).Which;

        error.Message.Should().Contain("The cluster configuration 'PartitionedCluster' is invalid").And.Contain("MaxAtempts");
    }

    [Fact]
    public async Task WebApplication_InvalidSettings_FailTheStart_ListingEveryProblem()
    {
        var (loggerFactory, _) = TestLogging.Create(output, LogLevel.Warning);
        using var _ = loggerFactory;
        var builder = CreateBuilder(loggerFactory, new()
        {
            ["PartitionedCluster:MaxAttempts"] = "0",
            ["PartitionedCluster:Server:Ports"] = "5010-5000",
            ["PartitionedCluster:Runner"] = "mesos",
        });
        builder.Services.AddPartitionedCluster(TestClusters.Integers(2, 1), TestServers.RowsWith()).BindConfiguration("PartitionedCluster");
        await using var app = builder.Build();

        var unknownRunner = (await app.Invoking(static a => a.StartAsync()).Should().ThrowAsync<InvalidOperationException>()).Which;
        unknownRunner.Message.Should().Contain("Runner must be in-process, process or slurm (was 'mesos')");

        var second = CreateBuilder(loggerFactory, new() { ["PartitionedCluster:MaxAttempts"] = "0", ["PartitionedCluster:Server:Ports"] = "5010-5000" });
        second.Services.AddPartitionedCluster(TestClusters.Integers(2, 1), TestServers.RowsWith()).BindConfiguration("PartitionedCluster");
        await using var secondApp = second.Build();
        var invalid = (await secondApp.Invoking(static a => a.StartAsync()).Should().ThrowAsync<OptionsValidationException>()).Which;
        invalid.Message.Should().Contain("MaxAttempts must be at least 1").And.Contain("Server.Ports");
    }

    [Fact]
    public async Task WebApplication_ServingCluster_StartsWithTheHost_AnswersThroughItsGateway_AndReportsHealth()
    {
        var (loggerFactory, _) = TestLogging.Create(output, LogLevel.Information);
        using var _ = loggerFactory;
        var builder = CreateBuilder(loggerFactory, []);
        builder.Services.AddPartitionedServing(TestClusters.Integers(4, 2), TestServers.ServingWith(), new ServingOptions { LoadBalancing = LoadBalancingPolicies.RoundRobin })
            .Configure(static o => o with { RelaunchDelay = TimeSpan.FromMilliseconds(20) });
        builder.Services.AddHealthChecks().AddPartitionedCluster<int, int>();
        await using var app = builder.Build();
        app.MapHealthChecks("/health");

        await app.StartAsync();
        var serving = app.Services.GetRequiredService<ServingCluster<int, int>>();
        using var http = new HttpClient();
        var reply = await http.PostAsJsonAsync(serving.GetServiceUri("hello"), new { foo = "abcd", bar = 1 });
        reply.StatusCode.Should().Be(HttpStatusCode.OK);
        (await reply.Content.ReadAsStringAsync()).Should().Be("""{"fooLength":4}""");
        (await http.GetStringAsync(new Uri(Address(app), "health"))).Should().Be("Healthy");
        app.Services.GetRequiredService<Cluster<int, int>>().Should().BeSameAs(serving.Cluster);

        await app.StopAsync();
        serving.Cluster.State.Should().Be(ClusterState.Stopped);
        var act = () => http.PostAsJsonAsync(serving.GetServiceUri("hello"), new { foo = "x", bar = 1 });
        await act.Should().ThrowAsync<HttpRequestException>("the gateway stopped with the host");
    }

    [Fact]
    public async Task WebApplication_ClientKeysFromConfiguration_OpenTheReadRoutesOnly_AndABadKeyIsNamedNeverShown()
    {
        var (loggerFactory, _) = TestLogging.Create(output, LogLevel.Warning);
        using var _ = loggerFactory;
        var key = ClientKey.Create().Value;
        var builder = CreateBuilder(loggerFactory, new()
        {
            ["PartitionedCluster:Runner"] = "in-process",
            ["PartitionedCluster:ClientKeys:0"] = key,
        });
        builder.Services.AddPartitionedCluster(TestClusters.Integers(4, 2), TestServers.RowsWith()).BindConfiguration("PartitionedCluster");
        await using (var app = builder.Build())
        {
            await app.StartAsync();
            var cluster = app.Services.GetRequiredService<Cluster<int, int>>();
            using var http = new HttpClient { BaseAddress = cluster.CoordinatorAddress };
            http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", key);

            (await http.GetAsync("v1/hosts")).StatusCode.Should().Be(HttpStatusCode.OK, "the configured key is a client key of the cluster");
            (await http.PostAsJsonAsync("v1/failures", new { partition = 0, attempt = 0, message = "x" })).StatusCode.Should().Be(HttpStatusCode.Forbidden, "a client key grants no control");
            await app.StopAsync();
        }

        const string tooShort = "short-secret";
        var bad = CreateBuilder(loggerFactory, new()
        {
            ["PartitionedCluster:ClientKeys:0"] = key,
            ["PartitionedCluster:ClientKeys:1"] = tooShort,
        });
        bad.Services.AddPartitionedCluster(TestClusters.Integers(2, 1), TestServers.RowsWith()).BindConfiguration("PartitionedCluster");
        await using var badApp = bad.Build();
        var error = (await badApp.Invoking(static a => a.StartAsync()).Should().ThrowAsync<InvalidOperationException>()).Which;
        error.Message.Should().Contain("PartitionedCluster:ClientKeys:1").And.Contain("at least 16 characters").And.NotContain(tooShort).And.NotContain(key);
    }

    [Fact]
    public void AddPartitionedCluster_Twice_ForTheSameTypes_IsRefused()
    {
        var services = new ServiceCollection();
        services.AddPartitionedCluster(TestClusters.Integers(2, 1), TestServers.RowsWith());

        var act = () => services.AddPartitionedCluster(TestClusters.Integers(2, 1), TestServers.RowsWith());

        act.Should().Throw<InvalidOperationException>().WithMessage("*already registered*");
    }

    private static WebApplicationBuilder CreateBuilder(ILoggerFactory loggerFactory, Dictionary<string, string?> settings)
    {
        var builder = WebApplication.CreateBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(loggerFactory);
        return builder;
    }

    private static Uri Address(WebApplication app) =>
        new(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First() + "/");
}
