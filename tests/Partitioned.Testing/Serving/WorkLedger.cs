using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;

namespace Partitioned.Testing;

/// <summary>One run of a "work" handler.</summary>
public sealed record WorkRun(string Service, string Key, int Partition, int Replica, int Attempt);

/// <summary>
/// Every run of the "work" handlers, by request key: in this process (in-process partitions record in
/// <see cref="Local"/>), or served over HTTP at an address the partitions reach (<see cref="StartAsync"/>).
/// </summary>
public sealed class WorkLedger : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, ConcurrentQueue<WorkRun>> _runs = new(StringComparer.Ordinal);
    private WebApplication? _app;

    /// <summary>The ledger of partitions in this process.</summary>
    public static WorkLedger Local { get; } = new();

    /// <summary>Where partitions post their runs (<see cref="ServingTestSettings.LedgerUrl"/>), when served.</summary>
    public string? Url { get; private set; }

    /// <summary>Serves a ledger on <paramref name="address"/> (the test machine's address on the cluster network).</summary>
    public static async Task<WorkLedger> StartAsync(string address)
    {
        var ledger = new WorkLedger();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls($"http://{address}:0");
        var app = builder.Build();
        app.MapPost("/runs", (WorkRun run) =>
        {
            ledger.Record(run);
            return Results.NoContent();
        });
        await app.StartAsync();
        ledger._app = app;
        ledger.Url = app.Urls.Single() + "/";
        return ledger;
    }

    public void Record(WorkRun run) => _runs.GetOrAdd(run.Key, static _ => new()).Enqueue(run);

    /// <summary>The runs of one request.</summary>
    public IReadOnlyList<WorkRun> RunsOf(string key) => _runs.TryGetValue(key, out var runs) ? [.. runs] : [];

    /// <summary>Keys that ran more than once, with their runs, for <paramref name="service"/>.</summary>
    public IReadOnlyDictionary<string, WorkRun[]> RunMoreThanOnce(string service) =>
        _runs.Where(p => p.Value.Count(r => r.Service == service) > 1).ToDictionary(static p => p.Key, p => p.Value.Where(r => r.Service == service).ToArray());

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
    }
}
