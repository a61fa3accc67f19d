using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Microsoft.Extensions.Logging;
using Partitioned.Clustering;
using Partitioned.Directories;
using Xunit.Abstractions;
using static Partitioned.Tests.BadInput.BadBodies;

namespace Partitioned.Tests.BadInput;

/// <summary>
/// Bad input on the coordinator's control routes (<c>/v1/register</c>, <c>/v1/failures</c>) and the worker route
/// that takes results: every case gets its status and a detail naming the problem, none of them changes the
/// directory, and a good request afterwards is taken.
/// </summary>
public sealed class ControlBadInputTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const long Limit = 1024 * 1024;
    private readonly (ILoggerFactory Factory, CapturingLoggerProvider Logs) _logging = TestLogging.Create(output, LogLevel.Information);
    private Cluster<int, int> _cluster = null!;
    private HttpClient _http = null!;

    public async Task InitializeAsync()
    {
        var options = TestClusters.Options(_logging.Factory, new RegisteringRunner()) with { HealthCheckInterval = TimeSpan.FromHours(1), StopTimeout = TimeSpan.FromSeconds(5) };
        _cluster = await Clustering.Cluster.StartAsync(TestClusters.Integers(6, 2), TestServers.RowsWith(), options);
        _http = new HttpClient { BaseAddress = _cluster.CoordinatorAddress };
        _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", _cluster.Token.Value);
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _cluster.DisposeAsync();
        _logging.Factory.Dispose();
    }

    [Fact]
    public async Task Register_Corpus_EachCaseGetsItsStatusAndDetail_NoneReplacesTheLivePartition()
    {
        const string valid = """{"partition":0,"attempt":0,"endpoint":"http://127.0.0.1:9/"}""";
        BadInputCase[] corpus =
        [
            .. Common(valid, "RegistrationRequest", 200),
            BadInputCase.Of("the attempt as a string", """{"partition":0,"attempt":"1","endpoint":"http://127.0.0.1:8/"}""", 400, "$.attempt", "expected Int32, got \"1\" (a string)"),
            BadInputCase.Of("the partition as a string", """{"partition":"0","attempt":1,"endpoint":"http://127.0.0.1:8/"}""", 400, "$.partition", "expected Int32, got \"0\" (a string)"),
            BadInputCase.Of("the attempt as a fraction", """{"partition":0,"attempt":1.0,"endpoint":"http://127.0.0.1:8/"}""", 400, "$.attempt", "expected Int32, got 1.0 (a number)"),
            BadInputCase.Of("a number for the endpoint", """{"partition":0,"attempt":1,"endpoint":5}""", 400, "$.endpoint", "expected String, got 5 (a number)"),
            BadInputCase.Of("null for the endpoint", """{"partition":0,"attempt":1,"endpoint":null}""", 400, "$.endpoint", "null is not allowed"),
            BadInputCase.Of("a missing attempt", """{"partition":0,"endpoint":"http://127.0.0.1:8/"}""", 400, "missing required properties", "attempt"),
            BadInputCase.Of("the attempt given twice", """{"partition":0,"attempt":0,"attempt":1,"endpoint":"http://127.0.0.1:8/"}""", 400, "'attempt' is given twice"),
            BadInputCase.Bytes("invalid UTF-8 in the endpoint", Splice("""{"partition":0,"attempt":1,"endpoint":"http://127.0.0.1:8/""", [0xFF], "\"}"), 400, "not valid UTF-8", "0xFF"),
            BadInputCase.Of("a lone surrogate in the endpoint", """{"partition":0,"attempt":1,"endpoint":"http://127.0.0.1:8/\ud800"}""", 400, "$.endpoint", "unpaired surrogate"),
            BadInputCase.Of("an extra field (ignored: a newer peer may send fields an older one does not know)", """{"partition":0,"attempt":0,"endpoint":"http://127.0.0.1:9/","zone":"b"}""", 200),
            BadInputCase.Of("labels as a list", """{"partition":0,"attempt":1,"endpoint":"http://127.0.0.1:8/","labels":["a"]}""", 400, "$.labels"),
            BadInputCase.Of("a number for a label's value", """{"partition":0,"attempt":1,"endpoint":"http://127.0.0.1:8/","labels":{"a":5}}""", 400, "$.labels.a", "expected String"),
            BadInputCase.Of("a label key with a space", """{"partition":0,"attempt":1,"endpoint":"http://127.0.0.1:8/","labels":{"my key":"v"}}""", 400, "label key 'my key'", "ASCII letters"),
            BadInputCase.Of("an empty label key", """{"partition":0,"attempt":1,"endpoint":"http://127.0.0.1:8/","labels":{"":"v"}}""", 400, "label key ''"),
            BadInputCase.Of("a null label value", """{"partition":0,"attempt":1,"endpoint":"http://127.0.0.1:8/","labels":{"a":null}}""", 400, "label 'a' has no value"),
            BadInputCase.Of("a control character in a label value", """{"partition":0,"attempt":1,"endpoint":"http://127.0.0.1:8/","labels":{"a":"x\u0007"}}""", 400, "label 'a'", "control characters"),
            BadInputCase.Of("a label value over 4,096 characters", """{"partition":0,"attempt":1,"endpoint":"http://127.0.0.1:8/","labels":{"a":""" + "\"" + new string('x', 4097) + "\"}}", 400, "label 'a'", "at most 4096", "4097"),
            BadInputCase.Of("33 labels", """{"partition":0,"attempt":1,"endpoint":"http://127.0.0.1:8/","labels":{""" + string.Join(',', Enumerable.Range(0, 33).Select(i => $"\"k{i}\":\"v\"")) + "}}", 400, "at most 32 labels", "were 33"),
            BadInputCase.Of("a label given twice", """{"partition":0,"attempt":1,"endpoint":"http://127.0.0.1:8/","labels":{"a":"1","a":"2"}}""", 400, "$.labels.a", "duplicate"),
        ];

        await BadInputAssertions.RunAsync(_http, "v1/register", corpus, output);

        var entry = _cluster.Directory.Current[0];
        entry.Should().Match<PartitionEntry>(e => e.State == PartitionState.Serving && e.Attempt == 0 && e.Endpoint == RegisteringRunner.Endpoint, "no bad registration replaced the live attempt");
        var unlaunched = await _http.PostAsJsonAsync("v1/register", new { partition = 0, attempt = 1, endpoint = "http://127.0.0.1:8/" });
        unlaunched.StatusCode.Should().Be(HttpStatusCode.Conflict, "nobody launched attempt 1 yet");
        _cluster.Directory.Admit(0, 1).Should().BeTrue();
        var labels = new Dictionary<string, string> { ["myapp/range"] = "a-m", ["zone"] = string.Empty };
        var next = await _http.PostAsJsonAsync("v1/register", new { partition = 0, attempt = 1, endpoint = "http://127.0.0.1:8/", labels });
        next.StatusCode.Should().Be(HttpStatusCode.OK);
        _cluster.Directory.Current[0].Attempt.Should().Be(1, "a good registration after the corpus is taken");
        _cluster.Directory.Current[0].Replicas[0].Labels.Should().Equal(labels, "the directory keeps the labels the attempt announced");
        var status = await _http.GetStringAsync("v1/status");
        status.Should().Contain("\"labels\":{\"myapp/range\":\"a-m\",\"zone\":\"\"}", "the status shows them");
    }

    [Fact]
    public async Task Failures_Corpus_EachCaseGetsItsStatusAndDetail_NoneMarksTheLivePartitionLost()
    {
        BadInputCase[] corpus =
        [
            .. Common("""{"partition":1,"attempt":0,"message":"report at the limit"}""", "FailureReport", 202),
            BadInputCase.Of("the partition as a string", """{"partition":"0","attempt":0,"message":"lost?"}""", 400, "$.partition", "expected Int32, got \"0\" (a string)"),
            BadInputCase.Of("the attempt as a string", """{"partition":0,"attempt":"0","message":"lost?"}""", 400, "$.attempt", "expected Int32, got \"0\" (a string)"),
            BadInputCase.Of("a number for the message", """{"partition":0,"attempt":0,"message":42}""", 400, "$.message", "expected String, got 42 (a number)"),
            BadInputCase.Of("a missing message", """{"partition":0,"attempt":0}""", 400, "missing required properties", "message"),
            BadInputCase.Of("a lone surrogate in the message", """{"partition":0,"attempt":0,"message":"\udc00"}""", 400, "$.message", "unpaired surrogate"),
        ];

        // The good cases all report partition 1; partition 0 is the one no bad report may touch.
        await BadInputAssertions.RunAsync(_http, "v1/failures", corpus, output);

        _cluster.Directory.Current[0].State.Should().Be(PartitionState.Serving, "no bad report marked the live partition lost");
        _cluster.Directory.Current[1].Should().Match<PartitionEntry>(e => e.State == PartitionState.Lost && e.LastError!.StartsWith("report at the limit", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Results_Corpus_EachBadLineIsNamed_NothingIsTaken_ThenGoodResultsAre()
    {
        const string ndjson = "application/x-ndjson";
        BadInputCase[] corpus =
        [
            new("a number sent as a string", Utf8("1\n\"2\"\n"), ndjson, 400, "line 2 is not a valid Int32", "expected Int32, got \"2\" (a string)"),
            new("a fraction", Utf8("1.5\n"), ndjson, 400, "line 1", "expected Int32, got 1.5 (a number)"),
            new("a null line", Utf8("1\nnull\n"), ndjson, 400, "line 2", "null"),
            new("a broken line", Utf8("1\n{\n"), ndjson, 400, "line 2"),
            new("two values on a line", Utf8("1 2\n"), ndjson, 400, "line 1", "invalid after a single JSON value"),
            new("invalid UTF-8", Splice("1\n\"", [0xFF], "\"\n"), ndjson, 400, "line 2", "not valid UTF-8", "0xFF"),
            new("a lone surrogate", Utf8("\"\\ud800\"\n"), ndjson, 400, "line 1", "expected Int32"),
            new($"{DeepNesting:N0} levels of nesting", Utf8(Nested() + "\n"), ndjson, 400, "line 1", "nested", "maximum depth"),
            new("JSON instead of NDJSON", Utf8("1\n"), BadInputCase.Json, 415, "application/x-ndjson"),
            new("GET", null, null, 405, "GET", "POST") { Method = HttpMethod.Get },
        ];

        await BadInputAssertions.RunAsync(_http, "v1/attempts/0/0/results", corpus, output);

        var good = await _http.PostAsync("v1/attempts/0/0/results", new ByteArrayContent(Utf8("1\r\n\n2")) { Headers = { ContentType = new MediaTypeHeaderValue(ndjson) } });
        good.StatusCode.Should().Be(HttpStatusCode.OK, "no bad post took the results");
        (await good.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>()).GetProperty("count").GetInt32().Should().Be(2);
        (await _http.PostAsync("v1/attempts/1/0/results", new ByteArrayContent(Utf8("3\n")) { Headers = { ContentType = new MediaTypeHeaderValue(ndjson) } })).EnsureSuccessStatusCode();
        var results = await _cluster.StopAsync();
        (await results.CollectPartitionsAsync()).Should().BeEquivalentTo(new[] { new[] { 1, 2 }, new[] { 3 } }, o => o.WithStrictOrdering());
    }

    /// <summary>The cases every JSON control route shares; <paramref name="valid"/> is a good body for the route, answered <paramref name="ok"/>.</summary>
    private static IEnumerable<BadInputCase> Common(string valid, string type, int ok) =>
    [
        BadInputCase.Of("malformed JSON", valid[..^3], 400, "Invalid request body"),
        BadInputCase.Of("an empty body", "", 400, "empty", type),
        BadInputCase.Of("null", "null", 400, "null", type),
        BadInputCase.Of("an array", "[]", 400, $"expected {type}, got [] (an array)"),
        BadInputCase.Of($"{DeepNesting:N0} levels of nesting", Nested(), 400, "nested", "maximum depth"),
        BadInputCase.Of($"{DeepNesting:N0} levels of nesting in an extra field", valid[..^1] + $$""","deep":{{Nested()}}}""", 400, "nested", "maximum depth"),
        BadInputCase.Bytes("invalid UTF-8 outside a string", Splice(valid[..^1] + ",", [0xFF], "}"), 400, "not valid UTF-8", "0xFF"),
        new("a body exactly at the limit", PaddedTo(valid, Limit), BadInputCase.Json, ok),
        new("a body one byte over the limit", PaddedTo(valid, Limit + 1), BadInputCase.Json, 413, "larger than", Limit.ToString(CultureInfo.InvariantCulture)),
        new("JSON sent as text/plain", Utf8(valid), "text/plain", 415, "text/plain", "application/json"),
        new("form data", Utf8("partition=0&attempt=1"), "application/x-www-form-urlencoded", 415, "application/x-www-form-urlencoded", "application/json"),
        new("GET", null, null, 405, "GET", "POST") { Method = HttpMethod.Get },
        new("JSON with no Content-Type", Utf8(valid), null, ok),
        BadInputCase.Of("a good request", valid, ok),
    ];
}
