using Partitioned.Server;

namespace Partitioned.Bench;

/// <summary>
/// The partition server of the scale benchmark: <c>GET /app/index</c> answers its partition index (what scatter-gather
/// reads), and its one result row is its index, so a stop can be checked to return every result in partition order.
/// </summary>
public sealed class ScaleServer : PartitionServer<int, int>
{
    public static readonly PartitionServerDefinition<int, int> Definition = PartitionServerDefinition.Create("scale", () => new ScaleServer());

    protected override ValueTask InitializeAsync(IAsyncEnumerable<int> rows, CancellationToken cancellationToken) => ValueTask.CompletedTask;

    protected override void MapRoutes(IEndpointRouteBuilder app) => app.MapGet("index", () => Context.Partition);

    protected override async IAsyncEnumerable<int> ProduceResultsAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await Task.CompletedTask;
        yield return Context.Partition;
    }
}
