using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Partitioned.Serving;
using Partitioned.Server;

namespace Partitioned.Testing;

/// <summary>A partition server with one service per behaviour the serving tests check.</summary>
public sealed class ServingTestServer(ServingTestSettings settings) : PartitionServer<int, int>
{
    /// <summary>This server's context (for the services defined outside the class).</summary>
    internal PartitionContext PartitionContext => Context;

    private List<int> _rows = [];
    private int _versionsInFlight;

    protected override async ValueTask InitializeAsync(IAsyncEnumerable<int> rows, CancellationToken cancellationToken)
    {
        _rows = await rows.ToListAsync(cancellationToken);
        Context.Labels["test/rows"] = _rows.Count.ToString(System.Globalization.CultureInfo.InvariantCulture);
        await Task.Delay(settings.InitDelay, cancellationToken);
        if (settings.FailInit)
        {
            throw new InvalidOperationException($"version {settings.Version} is broken on purpose");
        }
    }

    protected override void MapRoutes(IEndpointRouteBuilder app)
    {
        app.MapGet("/info", () => new ServerInfo(Context.ClusterId, Context.Partition, Context.Attempt, _rows.Count, Environment.ProcessId));

        // How many "version" or "version-once" requests this server holds now (a test kills it while it holds some).
        app.MapGet("/versions-in-flight", () => Volatile.Read(ref _versionsInFlight));
    }

    protected override void ConfigureFeatures(PartitionFeatures features)
    {
        var limit = settings.MaxRequestBodySize;
        features.AddService(ServiceDefinition.Create("hello", (HelloRequest r) => new HelloReply(r.Foo.Length), new ServiceOptions { MaxRequestBodySize = limit }));
        features.AddService(ServiceDefinition.Create(
            "slow",
            async (SlowRequest r, CancellationToken ct) =>
            {
                await Task.Delay(r.Ms, ct);
                return new WhoReply(Context.Partition, Context.Attempt);
            },
            new ServiceOptions { QueueCapacity = settings.SlowQueueCapacity, Concurrency = settings.SlowConcurrency, Deadline = settings.SlowDeadline, MaxRequestBodySize = limit }));
        features.AddService(ServiceDefinition.CreateBatch(
            "batch",
            (IReadOnlyList<HelloRequest> batch) => batch.Select(r => new BatchReply(r.Foo.Length, batch.Count)).ToList(),
            new ServiceOptions { Mode = ProcessingMode.MicroBatch, MaxBatchSize = settings.BatchSize, MaxBatchDelay = settings.BatchDelay, MaxRequestBodySize = limit }));
        features.AddService(ServiceDefinition.Create(
            "hold",
            async (HelloRequest r, CancellationToken ct) =>
            {
                // Held until the partition starts stopping, then still at work a little while: a stop must wait for it.
                await Task.Delay(Timeout.Infinite, Context.Stopping).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                await Task.Delay(200, ct);
                return new HelloReply(r.Foo.Length);
            },
            new ServiceOptions { MaxRequestBodySize = limit, Deadline = TimeSpan.FromMinutes(2) }));
        // The same handler twice: "version" may be sent again to another replica, "version-once" may not.
        foreach (var (name, idempotent) in new[] { ("version", true), ("version-once", false) })
        {
            features.AddService(ServiceDefinition.Create(
                name,
                async (SlowRequest r, CancellationToken ct) =>
                {
                    Interlocked.Increment(ref _versionsInFlight);
                    try
                    {
                        await Task.Delay(r.Ms, ct);
                    }
                    finally
                    {
                        Interlocked.Decrement(ref _versionsInFlight);
                    }

                    return new VersionReply(settings.Version, Context.Partition, Context.Replica, Context.Attempt, Environment.ProcessId);
                },
                new ServiceOptions { MaxRequestBodySize = limit, Idempotent = idempotent, Concurrency = 64, Deadline = TimeSpan.FromSeconds(30) }));
        }

        WorkServices.Add(features, this, settings);
        features.AddService(ServiceDefinition.Create("faulty", new FaultyHandler(), new ServiceOptions { MaxRequestBodySize = limit }));
        features.AddService(ServiceDefinition.Create("route", new RouteHandler(() => Context.Partition), new ServiceOptions { MaxRequestBodySize = limit }));
    }

    protected override IAsyncEnumerable<int> ProduceResultsAsync(CancellationToken cancellationToken) => _rows.ToAsyncEnumerable();
}
