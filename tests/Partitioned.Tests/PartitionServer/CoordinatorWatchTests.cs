using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Time.Testing;
using Partitioned.Security;
using Partitioned.Server;

namespace Partitioned.Tests.PartitionServer;

/// <summary>
/// The attempt watch of a worker an engine launched (token file mode), against a real coordinator-shaped endpoint, with
/// the poll clock in the test's hands.
/// </summary>
public sealed class CoordinatorWatchTests
{
    private const int Partition = 3;
    private const int Attempt = 1;

    [Fact]
    public async Task StopAsync_EndsTheQuestions_SoTheClientCanBeDisposed()
    {
        var asked = 0;
        await using var coordinator = await StartCoordinatorAsync(_ => Interlocked.Increment(ref asked));
        var time = new FakeTimeProvider();
        var client = new AttemptClient(new Uri(coordinator.Urls.Single()), ClusterToken.Create(), Partition, Attempt);
        var watch = new CoordinatorWatch();

        watch.Start(client, time);
        time.Advance(CoordinatorWatch.PollInterval);
        await Eventually.TrueAsync(() => Volatile.Read(ref asked) == 1, "the watch asked once");

        await watch.StopAsync();
        client.Dispose();
        time.Advance(CoordinatorWatch.PollInterval * 5);
        watch.Gone.IsCancellationRequested.Should().BeFalse("stopping the watch is not the driver going away");
        var dispose = () => watch.Dispose();

        // A question after the client's disposal was the crash (ObjectDisposedException out of Dispose, exit code 134).
        dispose.Should().NotThrow();
        Volatile.Read(ref asked).Should().Be(1);
    }

    [Fact]
    public async Task ClientDisposedUnderTheWatch_DoesNotCrashTheWorker()
    {
        await using var coordinator = await StartCoordinatorAsync(_ => { });
        var time = new FakeTimeProvider();
        var client = new AttemptClient(new Uri(coordinator.Urls.Single()), ClusterToken.Create(), Partition, Attempt);
        var watch = new CoordinatorWatch();
        watch.Start(client, time);

        client.Dispose();
        time.Advance(CoordinatorWatch.PollInterval);
        var stop = async () => await watch.StopAsync().WaitAsync(TimeSpan.FromSeconds(10));

        await stop.Should().NotThrowAsync();
        watch.Dispose();
    }

    [Fact]
    public async Task AttemptReplaced_FiresGone_WithTheReason()
    {
        var current = true;
        await using var coordinator = await StartCoordinatorAsync(context => context.Response.StatusCode = Volatile.Read(ref current) ? 200 : 409);
        var time = new FakeTimeProvider();
        using var client = new AttemptClient(new Uri(coordinator.Urls.Single()), ClusterToken.Create(), Partition, Attempt);
        using var watch = new CoordinatorWatch();
        watch.Start(client, time);

        Volatile.Write(ref current, false);
        await Eventually.TrueAsync(() =>
        {
            time.Advance(CoordinatorWatch.PollInterval);
            return watch.Gone.IsCancellationRequested;
        }, "the watch saw the attempt replaced");

        watch.Reason.Should().Contain("no longer runs this attempt");
        await watch.StopAsync();
    }

    [Fact]
    public async Task AttemptOver_FiresGone_WithTheCoordinatorsReason()
    {
        await using var coordinator = await StartCoordinatorAsync(static context => context.Response.StatusCode = 410);
        var time = new FakeTimeProvider();
        using var client = new AttemptClient(new Uri(coordinator.Urls.Single()), ClusterToken.Create(), Partition, Attempt);
        using var watch = new CoordinatorWatch();
        watch.Start(client, time);

        await Eventually.TrueAsync(() =>
        {
            time.Advance(CoordinatorWatch.PollInterval);
            return watch.Gone.IsCancellationRequested;
        }, "the watch heard that the attempt is over");

        watch.Reason.Should().Be($"the coordinator no longer runs this attempt: {OverDetail}");
        await watch.StopAsync();
    }

    private const string OverDetail = "Attempt 1 of partition 3 is over: it was marked lost: health check timed out.";

    private static async Task<WebApplication> StartCoordinatorAsync(Action<HttpContext> onCheck)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        app.MapMethods("/v1/attempts/3/1", ["HEAD"], context =>
        {
            onCheck(context);
            return Task.CompletedTask;
        });

        // A HEAD answer has no body: the watch asks the launch route why the attempt is over.
        app.MapGet("/v1/attempts/3/1", () => Results.Problem(detail: OverDetail, statusCode: 410));
        await app.StartAsync();
        return app;
    }
}
