using System.Diagnostics;
using Partitioned.Server;

namespace SearchCluster;

/// <summary>
/// One partition of the search cluster: builds a BM25 index of its documents when it starts, and answers
/// <c>GET /app/search?q=...&amp;k=...</c> with its own top-k, scored with the corpus-wide statistics from its settings.
/// </summary>
public sealed class SearchServer(SearchSettings settings) : PartitionServer<Document, IndexSummary>
{
    private Bm25Index _index = Bm25Index.Build([]);
    private double _buildMilliseconds;
    private long _queries;

    /// <summary>The definition the driver runs and the worker processes register.</summary>
    public static PartitionServerDefinition<SearchSettings, Document, IndexSummary> Definition { get; } =
        PartitionServerDefinition.Create("search", (SearchSettings s) => new SearchServer(s));

    protected override async ValueTask InitializeAsync(IAsyncEnumerable<Document> rows, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        _index = await Bm25Index.BuildAsync(rows, cancellationToken);
        _buildMilliseconds = clock.Elapsed.TotalMilliseconds;
    }

    protected override void MapRoutes(IEndpointRouteBuilder app)
    {
        app.MapGet("/search", (string? q, string? k) =>
        {
            if (SearchQuery.Validate(q, k, out var terms, out var top) is { } problem)
            {
                return Results.Problem(detail: problem, statusCode: StatusCodes.Status400BadRequest, title: "Bad search request");
            }

            Interlocked.Increment(ref _queries);
            return Results.Ok(new SearchReply(Context.Partition, _index.Search(terms, top, settings)));
        });
        app.MapGet("/stats", Summary);
    }

    protected override IAsyncEnumerable<IndexSummary> ProduceResultsAsync(CancellationToken cancellationToken) =>
        new[] { Summary() }.ToAsyncEnumerable();

    private IndexSummary Summary() => new(
        Context.Partition, _index.DocumentCount, _index.TermCount, _index.PostingCount, _buildMilliseconds, Interlocked.Read(ref _queries), Environment.ProcessId);
}
