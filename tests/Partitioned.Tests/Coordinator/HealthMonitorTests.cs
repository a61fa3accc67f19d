using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Partitioned.Coordination;
using Partitioned.Directories;
using Partitioned.Security;

namespace Partitioned.Tests.Coordinator;

public sealed class HealthMonitorTests
{
    [Fact]
    public async Task SilentPartition_IsMarkedLost_AndRecoversWhenItAnswersAgain()
    {
        var token = ClusterToken.Create();
        await using var coordinator = await Partitioned.Coordination.Coordinator.StartAsync(new CoordinatorOptions
        {
            PartitionCount = 1,
            Token = token,
            HealthCheckInterval = TimeSpan.FromMilliseconds(100),
            UnhealthyThreshold = 2,
        });
        var healthy = true;
        var seenAuthorization = new ConcurrentQueue<string?>(); // checks keep arriving while the test reads it
        await using var partition = await StartFakePartitionAsync(context =>
        {
            seenAuthorization.Enqueue(context.Request.Headers.Authorization);
            return healthy ? AnswerHealthAsync(context, 0, 0) : Task.Run(() => context.Response.StatusCode = 503);
        });
        var endpoint = new Uri(partition.Urls.Single());
        coordinator.Directory.Register(0, 0, endpoint);

        await Eventually.TrueAsync(() => seenAuthorization.Count > 0, "a health check arrived");
        healthy = false;
        await Eventually.TrueAsync(() => coordinator.Directory.Current[0].State == PartitionState.Lost, "the partition is marked lost");
        coordinator.Directory.Current[0].LastError.Should().Contain("503");
        healthy = true;
        await Eventually.TrueAsync(() => coordinator.Directory.Current[0].State == PartitionState.Serving, "the partition recovered");

        seenAuthorization.ToArray().Should().AllBe("Bearer " + token.Value);
        coordinator.Directory.GetLastSeen(0).Should().NotBeNull();
    }

    [Fact]
    public async Task SuspendedChecks_DoNotMarkStoppedPartitionsLost()
    {
        await using var coordinator = await Partitioned.Coordination.Coordinator.StartAsync(new CoordinatorOptions
        {
            PartitionCount = 1,
            Token = ClusterToken.Create(),
            HealthCheckInterval = TimeSpan.FromMilliseconds(50),
            UnhealthyThreshold = 1,
        });
        coordinator.SuspendHealthChecks();
        coordinator.Directory.Register(0, 0, new Uri($"http://127.0.0.1:{UnusedPort()}/"));

        await Task.Delay(500);

        coordinator.Directory.Current[0].State.Should().Be(PartitionState.Serving);
    }

    /// <summary>Answers a health check as partition <paramref name="partition"/> attempt <paramref name="attempt"/> of cluster "test" would.</summary>
    internal static Task AnswerHealthAsync(HttpContext context, int partition, int attempt, string clusterId = "test") =>
        context.Response.WriteAsJsonAsync(new { state = "serving", clusterId, partition, attempt, rows = 0L, inFlight = 0 });

    internal static async Task<WebApplication> StartFakePartitionAsync(RequestDelegate health)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        app.MapGet("/control/health", health);
        await app.StartAsync();
        return app;
    }

    private static int UnusedPort()
    {
        // Nothing listens on this port afterwards: a health check there is refused, which is the point.
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
