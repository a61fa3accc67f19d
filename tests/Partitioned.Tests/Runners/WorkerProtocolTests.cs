using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Partitioned.Clustering;
using Partitioned.Datasets;
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
    public async Task Routes_AttemptThatIsOver_Return410SayingWhy_AndItsResultsAreRefused()
    {
        await _cluster.DisposeAsync();
        _http.Dispose();
        var runner = new StandInRunner();
        await StartAsync(TestClusters.Integers(6, 2), runner, maxAttempts: 2);

        // Partition 1's attempt 0 fails and attempt 1 replaces it; then attempt 1 fails too, and being the last one allowed,
        // stays the partition's attempt (failed for good, never replaced): over all the same.
        runner.Fail(1, 0);
        await Eventually.TrueAsync(() => _cluster.Directory.Current[1].Attempt == 1, "attempt 1 of partition 1 registered");
        runner.Fail(1, 1);
        await Eventually.TrueAsync(() => _cluster.Attempts.Count(static a => a.Partition == 1) == 2, "both attempts of partition 1 ended");

        foreach (var attempt in (int[])[1, 0])
        {
            using var head = await _http.SendAsync(new HttpRequestMessage(HttpMethod.Head, $"v1/attempts/1/{attempt}"));
            using var launch = await _http.GetAsync($"v1/attempts/1/{attempt}");
            using var rows = await _http.GetAsync($"v1/attempts/1/{attempt}/rows");
            using var results = await _http.PostAsync($"v1/attempts/1/{attempt}/results", Ndjson("3", "4", "5"));

            head.StatusCode.Should().Be(HttpStatusCode.Gone, $"attempt {attempt} ended: its worker must stop");
            launch.StatusCode.Should().Be(HttpStatusCode.Gone);
            (await Detail(launch)).Should().Contain($"Attempt {attempt} of partition 1 is over: it failed: ").And.Contain(StandInRunner.FailureMessage);
            rows.StatusCode.Should().Be(HttpStatusCode.Gone);
            results.StatusCode.Should().Be(HttpStatusCode.Gone, "results of an attempt that is over are refused, never acknowledged and dropped");
            (await Detail(results)).Should().Contain("Its worker must stop");
        }

        using var neverLaunched = await _http.SendAsync(new HttpRequestMessage(HttpMethod.Head, "v1/attempts/1/2"));
        using var running = await _http.SendAsync(new HttpRequestMessage(HttpMethod.Head, "v1/attempts/0/0"));
        neverLaunched.StatusCode.Should().Be(HttpStatusCode.Conflict);
        running.StatusCode.Should().Be(HttpStatusCode.OK);
        (await _http.PostAsync("v1/attempts/0/0/results", Ndjson("0", "1", "2"))).StatusCode.Should().Be(HttpStatusCode.OK);
        var stop = () => _cluster.StopAsync();
        (await stop.Should().ThrowAsync<ClusterStopException>()).Which.Failures.Should().ContainSingle().Which.Partition.Should().Be(1);
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

    private async Task StartAsync(PartitionedDataset<int> dataset, StandInRunner? runner = null, int maxAttempts = 4)
    {
        var options = TestClusters.Options(_loggerFactory, runner ?? new StandInRunner()) with { HealthCheckInterval = TimeSpan.FromHours(1), StopTimeout = TimeSpan.FromSeconds(1), MaxAttempts = maxAttempts };
        _cluster = await Clustering.Cluster.StartAsync(dataset, TestServers.RowsWith(), options);
        _http = new HttpClient { BaseAddress = _cluster.CoordinatorAddress };
        _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", _cluster.Token.Value);
    }

    private static StringContent Ndjson(params string[] lines) =>
        new(string.Concat(lines.Select(static l => l + "\n")), Encoding.UTF8, "application/x-ndjson");

    private static async Task<string> Detail(HttpResponseMessage response) =>
        (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString()!;

    /// <summary>
    /// Plays a remote engine: registers each attempt at an address nobody dials, then waits for its posted results, or
    /// fails it when the test says so (as a worker that crashed).
    /// </summary>
    private sealed class StandInRunner : IPartitionRunner
    {
        public const string FailureMessage = "the stand-in worker failed on purpose";

        private readonly System.Collections.Concurrent.ConcurrentDictionary<(int, int), TaskCompletionSource> _failures = new();

        public string Name => "stand-in";

        public void Fail(int partition, int attempt) => Failure(partition, attempt).TrySetResult();

        public async Task<IReadOnlyList<TResult>> RunAttemptAsync<TRow, TResult>(PartitionAttempt<TRow, TResult> attempt, CancellationToken cancellationToken)
        {
            using var http = new HttpClient { BaseAddress = attempt.Launch.Coordinator };
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", attempt.Launch.Token.Value);
            var registration = new { partition = attempt.Launch.Partition, attempt = attempt.Launch.Attempt, endpoint = "http://127.0.0.1:9/" };
            (await http.PostAsJsonAsync("v1/register", registration, cancellationToken)).EnsureSuccessStatusCode();
            var failure = Failure(attempt.Launch.Partition, attempt.Launch.Attempt).Task;
            return await Task.WhenAny(attempt.PostedResults, failure).WaitAsync(cancellationToken) == failure
                ? throw new InvalidOperationException(FailureMessage)
                : await attempt.PostedResults;
        }

        private TaskCompletionSource Failure(int partition, int attempt) =>
            _failures.GetOrAdd((partition, attempt), static _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
    }
}
