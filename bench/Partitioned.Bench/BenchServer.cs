using Partitioned.Serving;
using Partitioned.Server;

namespace Partitioned.Bench;

/// <summary>The partition server under test: "hello" (continuous) and "hello-batch" (micro-batch), the same work as the bare endpoint; "sleep" (waits the milliseconds asked).</summary>
public sealed class BenchServer : PartitionServer<int, int>
{
    public static readonly TimeSpan BatchDelay = TimeSpan.FromMilliseconds(2);

    public static readonly PartitionServerDefinition<int, int> Definition = PartitionServerDefinition.Create("bench", () => new BenchServer());

    protected override ValueTask InitializeAsync(IAsyncEnumerable<int> rows, CancellationToken cancellationToken) => ValueTask.CompletedTask;

    protected override void MapRoutes(IEndpointRouteBuilder app)
    {
    }

    protected override void ConfigureFeatures(PartitionFeatures features)
    {
        features.AddService(ServiceDefinition.Create("hello", (HelloRequest r) => new HelloReply(r.Foo.Length)));
        features.AddService(ServiceDefinition.Create("hello-idempotent", (HelloRequest r) => new HelloReply(r.Foo.Length), new ServiceOptions { Idempotent = true }));
        // Work that takes time (a model, a search): autoscaling sees it as requests in flight.
        features.AddService(ServiceDefinition.Create("sleep", async (SleepRequest r, CancellationToken ct) =>
        {
            await Task.Delay(r.Ms, ct);
            return new HelloReply(r.Ms);
        }, new ServiceOptions { Concurrency = 64 }));
        features.AddService(ServiceDefinition.CreateBatch(
            "hello-batch",
            (IReadOnlyList<HelloRequest> batch) => batch.Select(r => new HelloReply(r.Foo.Length)).ToList(),
            new ServiceOptions { Mode = ProcessingMode.MicroBatch, MaxBatchSize = 64, MaxBatchDelay = BatchDelay }));
    }
}
