using Microsoft.AspNetCore.Routing;
using Partitioned.Parquet;
using Partitioned.Server;

namespace Partitioned.Testing;

/// <summary>Reads its partition's readings itself, from the Parquet shard the driver sent (workers on a shared file system).</summary>
public sealed class ShardReadingServer : PartitionServer<ParquetShard, ReadingsSummary>
{
    private ReadingsSummary? _summary;

    public static PartitionServerDefinition<ParquetShard, ReadingsSummary> Definition { get; } =
        PartitionServerDefinition.Create("parquet-shards", () => new ShardReadingServer());

    protected override async ValueTask InitializeAsync(IAsyncEnumerable<ParquetShard> rows, CancellationToken cancellationToken)
    {
        long count = 0, missing = 0, first = -1;
        double sum = 0;
        await foreach (var shard in rows.WithCancellation(cancellationToken))
        {
            await foreach (var row in shard.ReadRowsAsync<SensorReading>(cancellationToken: cancellationToken))
            {
                first = count == 0 ? row.Id : first;
                count++;
                sum += row.Value;
                missing += row.Quality is null ? 1 : 0;
            }
        }

        _summary = new ReadingsSummary(Context.Partition, count, sum, missing, first, Environment.ProcessId);
    }

    protected override void MapRoutes(IEndpointRouteBuilder app)
    {
    }

    protected override IAsyncEnumerable<ReadingsSummary> ProduceResultsAsync(CancellationToken cancellationToken) =>
        new[] { _summary! }.ToAsyncEnumerable();
}
