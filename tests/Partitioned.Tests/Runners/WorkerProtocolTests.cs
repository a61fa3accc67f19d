using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Partitioned.Clustering;
using Xunit.Abstractions;

namespace Partitioned.Tests.Runners;

/// <summary>
/// The driver's half of the worker protocol over real HTTP, as a worker in any language would call it: a stand-in
/// runner registers each attempt and waits for results, and the test plays the worker.
/// </summary>
public sealed class WorkerProtocolTests : IAsyncLifetime
{
    private readonly ILoggerFactory _loggerFactory;
    private Cluster<int, int> _cluster = null!;
    private HttpClient _http = null!;

    public WorkerProtocolTests(ITestOutputHelper output) => (_loggerFactory, _) = TestLogging.Create(output);

    public async Task InitializeAsync() => await StartAsync(TestClusters.Integers(6, 2));

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _cluster.DisposeAsync();
        _loggerFactory.Dispose();
    }

    [Fact]
    public async Task Launch_CurrentAttempt_ReturnsEverythingTheWorkerNeeds()
    {
        var launch = await _http.GetFromJsonAsync<JsonElement>("v1/attempts/1/0");

        launch.GetProperty("clusterId").GetString().Should().Be(_cluster.Id);
        launch.GetProperty("partition").GetInt32().Should().Be(1);
        launch.GetProperty("attempt").GetInt32().Should().Be(0);
        launch.GetProperty("partitionCount").GetInt32().Should().Be(2);
        launch.GetProperty("server").GetString().Should().Be("rows");
        launch.GetProperty("settings").GetProperty("failInitBelowAttempt").GetInt32().Should().Be(int.MaxValue);
        var server = launch.GetProperty("serverOptions");
        server.GetProperty("bindAddress").GetString().Should().Be("127.0.0.1");
        server.GetProperty("firstPort").GetInt32().Should().Be(0);
        server.GetProperty("registrationTimeoutMs").GetInt64().Should().Be(30_000);
        server.GetProperty("drainTimeoutMs").GetInt64().Should().Be(10_000);
        launch.EnumerateObject().Select(p => p.Name).Should().NotContain(name => name.Contains("token", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task Rows_StreamThePartitionAsNdjson()
    {
        using var response = await _http.GetAsync("v1/attempts/1/0/rows");

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        response.Content.Headers.ContentType!.MediaType.Should().Be("application/x-ndjson");
        (await response.Content.ReadAsStringAsync()).Should().Be("3\n4\n5\n");
    }

    [Fact]
    public async Task Routes_WithoutToken_Return401()
    {
        using var anonymous = new HttpClient { BaseAddress = _cluster.CoordinatorAddress };

        (await anonymous.GetAsync("v1/attempts/0/0")).StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        (await anonymous.GetAsync("v1/attempts/0/0/rows")).StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        (await anonymous.PostAsync("v1/attempts/0/0/results", Ndjson("1"))).StatusCode.Should().Be(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Routes_UnknownPartition_Return404_AndAnAttemptThatIsNotCurrent_Returns409()
    {
        var unknown = await _http.GetAsync("v1/attempts/5/0");
        var future = await _http.GetAsync("v1/attempts/0/3/rows");
        var notCurrent = await _http.PostAsync("v1/attempts/1/1/results", Ndjson("1"));

        unknown.StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await Detail(unknown)).Should().Contain("Partition 5 is unknown").And.Contain("0 to 1");
        future.StatusCode.Should().Be(HttpStatusCode.Conflict);
        notCurrent.StatusCode.Should().Be(HttpStatusCode.Conflict);
        (await Detail(notCurrent)).Should().Contain("Attempt 1 of partition 1 is not the partition's current attempt");
    }

    [Fact]
    public async Task Results_BadLine_Return400NamingTheLine_AndAreNotTaken()
    {
        var wrongType = await _http.PostAsync("v1/attempts/0/0/results", Ndjson("1", "\"two\"", "3"));
        var nullLine = await _http.PostAsync("v1/attempts/0/0/results", Ndjson("1", "null"));
        var notJson = await _http.PostAsync("v1/attempts/0/0/results", Ndjson("1", "{"));
        var wrongContentType = await _http.PostAsync("v1/attempts/0/0/results", new StringContent("1\n", Encoding.UTF8, "application/json"));

        wrongType.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await Detail(wrongType)).Should().Contain("line 2 is not a valid Int32");
        nullLine.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await Detail(nullLine)).Should().Contain("line 2 is not a valid Int32");
        notJson.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await Detail(notJson)).Should().Contain("line 2");
        wrongContentType.StatusCode.Should().Be(HttpStatusCode.UnsupportedMediaType);
        (await Detail(wrongContentType)).Should().Contain("application/x-ndjson");

        // Nothing was taken: a correct post still goes through.
        (await _http.PostAsync("v1/attempts/0/0/results", Ndjson("1"))).StatusCode.Should().Be(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Results_Posted_BecomeTheClustersResults_AndASecondPostReturns409()
    {
        var first = await _http.PostAsync("v1/attempts/0/0/results", Ndjson("7", "8"));
        var again = await _http.PostAsync("v1/attempts/0/0/results", Ndjson("70"));
        var other = await _http.PostAsync("v1/attempts/1/0/results", Ndjson("9"));

        first.StatusCode.Should().Be(HttpStatusCode.OK);
        (await first.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("count").GetInt32().Should().Be(2);
        again.StatusCode.Should().Be(HttpStatusCode.Conflict);
        (await Detail(again)).Should().Contain("already posted");
        other.StatusCode.Should().Be(HttpStatusCode.OK);
        var results = await _cluster.StopAsync();
        (await results.CollectPartitionsAsync()).Should().BeEquivalentTo(new[] { new[] { 7, 8 }, new[] { 9 } }, o => o.WithStrictOrdering());
    }

    [Fact]
    public async Task Rows_SourceCannotBeRead_Return500NamingTheSource()
    {
        var folder = Directory.CreateTempSubdirectory("partitioned-rows-");
        try
        {
            await File.WriteAllTextAsync(Path.Combine(folder.FullName, "part-0.jsonl"), "1\n2\n");
            await File.WriteAllTextAsync(Path.Combine(folder.FullName, "part-1.jsonl"), "oops\n");
            await _cluster.DisposeAsync();
            _http.Dispose();
            await StartAsync(PartitionedDataset.FromJsonLinesFolder<int>(folder.FullName));

            var response = await _http.GetAsync("v1/attempts/1/0/rows");

            response.StatusCode.Should().Be(HttpStatusCode.InternalServerError);
            (await Detail(response)).Should().Contain("reading the rows of partition 1").And.Contain("part-1.jsonl").And.Contain("line 1");
            (await _http.GetStringAsync("v1/attempts/0/0/rows")).Should().Be("1\n2\n");
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    private async Task StartAsync(PartitionedDataset<int> dataset)
    {
        var options = TestClusters.Options(_loggerFactory, new StandInRunner()) with { HealthCheckInterval = TimeSpan.FromHours(1), StopTimeout = TimeSpan.FromSeconds(1) };
        _cluster = await Clustering.Cluster.StartAsync(dataset, TestServers.RowsWith(), options);
        _http = new HttpClient { BaseAddress = _cluster.CoordinatorAddress };
        _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", _cluster.Token.Value);
    }

    private static StringContent Ndjson(params string[] lines) =>
        new(string.Concat(lines.Select(static l => l + "\n")), Encoding.UTF8, "application/x-ndjson");

    private static async Task<string> Detail(HttpResponseMessage response) =>
        (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString()!;

    /// <summary>Plays a remote engine: registers each attempt at an address nobody dials, then waits for its posted results.</summary>
    private sealed class StandInRunner : IPartitionRunner
    {
        public string Name => "stand-in";

        public async Task<IReadOnlyList<TResult>> RunAttemptAsync<TRow, TResult>(PartitionAttempt<TRow, TResult> attempt, CancellationToken cancellationToken)
        {
            using var http = new HttpClient { BaseAddress = attempt.Launch.Coordinator };
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", attempt.Launch.Token.Value);
            var registration = new { partition = attempt.Launch.Partition, attempt = attempt.Launch.Attempt, endpoint = "http://127.0.0.1:9/" };
            (await http.PostAsJsonAsync("v1/register", registration, cancellationToken)).EnsureSuccessStatusCode();
            return await attempt.PostedResults.WaitAsync(cancellationToken);
        }
    }
}
