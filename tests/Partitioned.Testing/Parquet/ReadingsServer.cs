using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Partitioned.Server;

namespace Partitioned.Testing;

/// <summary>
/// Counts and sums its partition's readings as they stream in, keeping none of them, so a run over a large dataset
/// measures the driver's reading and streaming and not the partitions' storage.
/// </summary>
public sealed class ReadingsServer : PartitionServer<SensorReading, ReadingsSummary>
{
    private ReadingsSummary? _summary;

    public static PartitionServerDefinition<SensorReading, ReadingsSummary> Definition { get; } =
        PartitionServerDefinition.Create("readings", () => new ReadingsServer());

    protected override async ValueTask InitializeAsync(IAsyncEnumerable<SensorReading> rows, CancellationToken cancellationToken)
    {
        long count = 0, missing = 0, first = -1;
        double sum = 0;
        await foreach (var row in rows.WithCancellation(cancellationToken))
        {
            first = count == 0 ? row.Id : first;
            count++;
            sum += row.Value;
            missing += row.Quality is null ? 1 : 0;
        }

        _summary = new ReadingsSummary(Context.Partition, count, sum, missing, first, Environment.ProcessId);
    }

    protected override void MapRoutes(IEndpointRouteBuilder app) => app.MapGet("/summary", () => _summary);

    protected override IAsyncEnumerable<ReadingsSummary> ProduceResultsAsync(CancellationToken cancellationToken) =>
        new[] { _summary! }.ToAsyncEnumerable();
}
