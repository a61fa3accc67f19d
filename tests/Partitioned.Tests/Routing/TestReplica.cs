using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Partitioned.Coordination;

namespace Partitioned.Tests.Routing;

/// <summary>
/// A real Kestrel replica on 127.0.0.1:0 answering <c>/app/work</c> (any method) with its name as a JSON string, after
/// whatever <see cref="Behavior"/> does; it counts the requests it took and those whose caller went away.
/// </summary>
internal sealed class TestReplica : IAsyncDisposable
{
    private readonly WebApplication _app;
    private int _hits;
    private int _aborted;

    private TestReplica(WebApplication app, string name)
    {
        _app = app;
        Name = name;
    }

    public string Name { get; }

    public Uri Endpoint { get; private set; } = null!;

    /// <summary>Runs before each answer, with the request's aborted token.</summary>
    public Func<CancellationToken, Task> Behavior { get; set; } = static _ => Task.CompletedTask;

    public int Hits => Volatile.Read(ref _hits);

    public int Aborted => Volatile.Read(ref _aborted);

    public static async Task<TestReplica> StartAsync(string name)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var replica = new TestReplica(app, name);
        app.MapMethods("/app/work", ["GET", "POST"], replica.AnswerAsync);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        replica.Endpoint = new Uri(address.TrimEnd('/') + "/");
        return replica;
    }

    /// <summary>A directory of one partition per list with the given replicas all serving (no health checks run).</summary>
    public static PartitionDirectory Directory(params TestReplica?[][] partitions)
    {
        var replicas = partitions.Max(static p => p.Length);
        var directory = new PartitionDirectory(partitions.Length, replicas);
        for (var p = 0; p < partitions.Length; p++)
        {
            for (var r = 0; r < replicas; r++)
            {
                directory.Admit(p, r, r, version: 0).Should().BeTrue();
                if (partitions[p][r] is { } replica)
                {
                    directory.Register(p, r, replica.Endpoint);
                }
            }
        }

        return directory;
    }

    public void ResetCounts()
    {
        Volatile.Write(ref _hits, 0);
        Volatile.Write(ref _aborted, 0);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private async Task AnswerAsync(HttpContext context)
    {
        Interlocked.Increment(ref _hits);
        try
        {
            await Behavior(context.RequestAborted);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            Interlocked.Increment(ref _aborted);
            return;
        }

        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync($"\"{Name}\"");
    }
}
