using Partitioned.Server;

namespace HelloPartitions;

/// <summary>Holds its partition's integers, serves them, and sums them up when it stops.</summary>
public sealed class ListServer : PartitionServer<int, PartitionSummary>
{
    private List<int> _rows = [];

    protected override async ValueTask InitializeAsync(IAsyncEnumerable<int> rows, CancellationToken cancellationToken) =>
        _rows = await rows.ToListAsync(cancellationToken);

    protected override void MapRoutes(IEndpointRouteBuilder app)
    {
        app.MapGet("/get_list", () => _rows);
        app.MapGet("/count", () => new { partition = Context.Partition, count = _rows.Count });
    }

    protected override IAsyncEnumerable<PartitionSummary> ProduceResultsAsync(CancellationToken cancellationToken) =>
        new[] { new PartitionSummary(Context.Partition, _rows.Count, _rows.Sum(x => (long)x)) }.ToAsyncEnumerable();
}
