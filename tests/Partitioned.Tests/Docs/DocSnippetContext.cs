namespace Partitioned.Tests.Docs;

/// <summary>
/// The sample types the docs' blocks name without defining them, as a reader's own app would have them: row and result
/// records, and the <c>Servers</c> class the guide recommends (every definition the driver may run, in one static class
/// that the driver and the worker line share). Compiled beside the blocks, in the namespace that holds theirs; a block
/// that defines a type of the same name uses its own.
/// </summary>
public static class DocSnippetContext
{
    public const string Source = """
        // The docs' shared sample types (tests/Partitioned.Tests/Docs/DocSnippetContext.cs).
        using Microsoft.AspNetCore.Builder;
        using Microsoft.AspNetCore.Http;
        using Microsoft.AspNetCore.Routing;
        using Partitioned.Server;

        namespace DocSnippets;

        public sealed record Document(string Id, string Title, string Text);

        public sealed record IndexSummary(int Partition, int Documents);

        public sealed record SearchHit(string DocumentId, string Title, double Score);

        public sealed record Reading(long Id, string Sensor, double Value, int? Quality, DateTime Time, bool Valid);

        public sealed record Summary(int Partition, int Rows, double Mean);

        public sealed record PartitionSummary(int Partition, int Rows, long Sum);

        public sealed record Features(double SepalLength, double SepalWidth, double PetalLength, double PetalWidth);

        public sealed record Prediction(string Species);

        public sealed record ModelSettings(string Model);

        public sealed class Model
        {
            public Prediction Predict(Features features) => new(features.PetalLength < 2.5 ? "setosa" : "versicolor");
        }

        public static class Servers
        {
            public static PartitionServerDefinition<int, PartitionSummary> Lists { get; } = PartitionServerDefinition.Create("lists", () => new ListServer());

            public static PartitionServerDefinition<Document, IndexSummary> Search { get; } = PartitionServerDefinition.Create("search", () => new SearchServer());

            public static PartitionServerDefinition<Reading, Summary> Readings { get; } = PartitionServerDefinition.Create("readings", () => new ReadingsServer());

            public static PartitionServerDefinition<ModelSettings, int, int> Model { get; } =
                PartitionServerDefinition.Create("model", (ModelSettings settings) => new ModelServer(settings));
        }

        public sealed class ListServer : PartitionServer<int, PartitionSummary>
        {
            private List<int> _rows = [];

            protected override async ValueTask InitializeAsync(IAsyncEnumerable<int> rows, CancellationToken ct) => _rows = await rows.ToListAsync(ct);

            protected override void MapRoutes(IEndpointRouteBuilder app) => app.MapGet("/get_list", () => _rows);
        }

        public sealed class SearchServer : PartitionServer<Document, IndexSummary>
        {
            private List<Document> _documents = [];

            protected override async ValueTask InitializeAsync(IAsyncEnumerable<Document> rows, CancellationToken ct) => _documents = await rows.ToListAsync(ct);

            protected override void MapRoutes(IEndpointRouteBuilder app) =>
                app.MapGet("/search", (string q) => _documents.Where(d => d.Text.Contains(q, StringComparison.OrdinalIgnoreCase)).Select(d => new SearchHit(d.Id, d.Title, 1)).ToArray());
        }

        public sealed class ReadingsServer : PartitionServer<Reading, Summary>
        {
            private List<Reading> _readings = [];

            protected override async ValueTask InitializeAsync(IAsyncEnumerable<Reading> rows, CancellationToken ct) => _readings = await rows.ToListAsync(ct);

            protected override void MapRoutes(IEndpointRouteBuilder app) => app.MapGet("/count", () => _readings.Count);
        }

        public sealed class ModelServer(ModelSettings settings) : PartitionServer<int, int>
        {
            protected override ValueTask InitializeAsync(IAsyncEnumerable<int> rows, CancellationToken ct) => ValueTask.CompletedTask;

            protected override void MapRoutes(IEndpointRouteBuilder app) => app.MapGet("/model", () => settings.Model);
        }
        """;
}
