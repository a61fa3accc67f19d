using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Partitioned.Server;

namespace PartitionApp;

/// <summary>One partition of the text: counts its words, answers how often a word occurs, and reports its top words when it stops.</summary>
public sealed class WordCountServer : PartitionServer<string, TopWord>
{
    /// <summary>The definition the driver starts and a worker process runs (the name must match in both).</summary>
    public static PartitionServerDefinition<string, TopWord> Definition { get; } = PartitionServerDefinition.Create("words", () => new WordCountServer());

    private Dictionary<string, int> _counts = [];

    // 1. Build state from this partition's rows (here: lines of text).
    protected override async ValueTask InitializeAsync(IAsyncEnumerable<string> rows, CancellationToken cancellationToken)
    {
        await foreach (var line in rows.WithCancellation(cancellationToken))
        {
            foreach (var word in line.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                var key = word.ToLowerInvariant();
                _counts[key] = _counts.GetValueOrDefault(key) + 1;
            }
        }
    }

    // 2. Routes, mounted under /app: GET /app/count?word=the
    protected override void MapRoutes(IEndpointRouteBuilder app) =>
        app.MapGet("/count", (string? word) => string.IsNullOrWhiteSpace(word)
            ? Results.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Missing word", detail: "Ask for a word: /app/count?word=the")
            : Results.Ok(new WordCount(Context.Partition, word, _counts.GetValueOrDefault(word.ToLowerInvariant()))));

    // 3. Results, produced after the server stopped: this partition's three most frequent words.
    protected override IAsyncEnumerable<TopWord> ProduceResultsAsync(CancellationToken cancellationToken) =>
        _counts.OrderByDescending(static c => c.Value).ThenBy(static c => c.Key, StringComparer.Ordinal).Take(3)
            .Select(c => new TopWord(Context.Partition, c.Key, c.Value)).ToAsyncEnumerable();
}

/// <summary>How often a word occurs in one partition.</summary>
public sealed record WordCount(int Partition, string Word, int Count);

/// <summary>A result row: one of a partition's most frequent words.</summary>
public sealed record TopWord(int Partition, string Word, int Count);
