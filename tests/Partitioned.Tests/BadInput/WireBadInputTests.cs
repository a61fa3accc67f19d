using System.Net;
using System.Net.Http.Headers;
using Microsoft.Extensions.Logging;
using Partitioned.Serving;
using Xunit.Abstractions;
using static Partitioned.Tests.BadInput.BadBodies;

namespace Partitioned.Tests.BadInput;

/// <summary>
/// Bad input on the token-protected serving wire: a partition's <c>/control/serving/replies</c> and
/// <c>/control/serving/{name}/forward</c>, the head node's <c>/v1/serving/{name}/pull</c> and <c>/v1/serving/replies</c>.
/// A field of the wrong kind is a 400 naming it (never the 500 that <c>JsonElement.GetString</c> would give), and
/// the serving goes on.
/// </summary>
public sealed class WireBadInputTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly (ILoggerFactory Factory, CapturingLoggerProvider Logs) _logging = TestLogging.Create(output, LogLevel.Information);
    private ServingCluster<int, int> _serving = null!;

    public async Task InitializeAsync() =>
        _serving = await ServingCluster.StartAsync(
            TestClusters.Integers(4, 2),
            TestServers.ServingWith(),
            new ServingOptions { Mode = ServingMode.HeadNode, Services = ["hello"] },
            TestClusters.Options(_logging.Factory) with { HealthCheckInterval = TimeSpan.FromHours(1) });

    public async Task DisposeAsync()
    {
        await _serving.DisposeAsync();
        _logging.Factory.Dispose();
    }

    [Theory]
    [InlineData("partition")]
    [InlineData("head node")]
    public async Task Replies_Corpus_EachCaseGetsItsStatusAndDetail(string where)
    {
        using var client = Client(where == "partition" ? _serving.Cluster.Hosts[0] : _serving.Cluster.CoordinatorAddress);
        var path = where == "partition" ? "control/serving/replies" : "v1/serving/replies";
        BadInputCase[] corpus =
        [
            .. Envelope("""{"replies":[]}""", 204),
            BadInputCase.Of("a number for the id", """{"replies":[{"id":5,"status":200,"body":{}}]}""", 400, "$.replies[0].id must be a string, got 5 (a number)"),
            BadInputCase.Of("null for the id", """{"replies":[{"id":null,"status":200,"body":{}}]}""", 400, "$.replies[0].id must be a string, got null"),
            BadInputCase.Of("a lone surrogate in the id", """{"replies":[{"id":"\ud800","status":200,"body":{}}]}""", 400, "$.replies[0].id is not valid text"),
            BadInputCase.Bytes("invalid UTF-8 in the id", Splice("{\"replies\":[{\"id\":\"", [0xC3, 0x28], "\",\"status\":200,\"body\":{}}]}"), 400, "$.replies[0].id is not valid text"),
            BadInputCase.Of("the status as a string", """{"replies":[{"id":"a","status":"200","body":{}}]}""", 400, "$.replies[0].status must be a whole number, got \"200\" (a string)"),
            BadInputCase.Of("a status that is not HTTP", """{"replies":[{"id":"a","status":99,"body":{}}]}""", 400, "$.replies[0].status must be an HTTP status"),
            BadInputCase.Of("a reply without a body", """{"replies":[{"id":"a","status":200}]}""", 400, "$.replies[0].body is missing"),
            BadInputCase.Of("a reply that is not an object", """{"replies":[{"id":"a","status":200,"body":{}},7]}""", 400, "$.replies[1] must be an object, got 7 (a number)"),
            BadInputCase.Of("replies that are not an array", """{"replies":{}}""", 400, "$.replies must be an array"),
            BadInputCase.Of("no replies", "{}", 400, "$.replies is missing"),
            BadInputCase.Of("an extra field (ignored)", """{"replies":[],"from":"elsewhere"}""", 204),
            BadInputCase.Of("an answer for nobody", """{"replies":[{"id":"nobody","status":200,"body":{"fooLength":1}}]}""", 204),
        ];

        await BadInputAssertions.RunAsync(client, path, corpus, output);

        await HelloStillServedAsync();
    }

    [Fact]
    public async Task Forward_Corpus_EachCaseGetsItsStatusAndDetail()
    {
        using var client = Client(_serving.Cluster.Hosts[0]);
        var replyTo = new Uri(_serving.Cluster.Hosts[1], "control/serving/replies");
        BadInputCase[] corpus =
        [
            .. Envelope($$$"""{"id":"t.1","replyTo":"{{{replyTo}}}","request":{"foo":"abc","bar":1}}""", 202),
            BadInputCase.Of("a number for the id", $$$"""{"id":5,"replyTo":"{{{replyTo}}}","request":{}}""", 400, "$.id must be a string, got 5 (a number)"),
            BadInputCase.Of("a number for replyTo", """{"id":"t.2","replyTo":5,"request":{}}""", 400, "$.replyTo must be a string, got 5 (a number)"),
            BadInputCase.Of("a relative replyTo", """{"id":"t.3","replyTo":"/replies","request":{}}""", 400, "$.replyTo must be an absolute http or https URL"),
            BadInputCase.Of("no request", $$"""{"id":"t.4","replyTo":"{{replyTo}}"}""", 400, "$.request is missing"),
            BadInputCase.Of("a request that does not bind", $$$"""{"id":"t.5","replyTo":"{{{replyTo}}}","request":{"foo":"abc","bar":"1"}}""", 400, "$.bar", "expected Int32, got \"1\" (a string)"),
            BadInputCase.Bytes("a request with invalid UTF-8", Splice($"{{\"id\":\"t.6\",\"replyTo\":\"{replyTo}\",\"request\":{{\"foo\":\"", [0xFF], "\",\"bar\":1}}"), 400, "not valid UTF-8"),
        ];

        await BadInputAssertions.RunAsync(client, "control/serving/hello/forward", corpus, output);

        await HelloStillServedAsync();
    }

    [Fact]
    public async Task Pull_Corpus_EachCaseGetsItsStatusAndDetail()
    {
        using var client = Client(_serving.Cluster.CoordinatorAddress);

        // A stale attempt's pull is parsed, then refused at once with 409: the good case that does not wait 5 s for work.
        const string stale = """{"partition":0,"attempt":-1,"max":1}""";
        BadInputCase[] corpus =
        [
            .. Envelope(stale, 409),
            BadInputCase.Of("the partition as a string", """{"partition":"0","attempt":0,"max":1}""", 400, "$.partition must be a whole number, got \"0\" (a string)"),
            BadInputCase.Of("a fraction for max", """{"partition":0,"attempt":0,"max":1.5}""", 400, "$.max must be a whole number, got 1.5 (a number)"),
            BadInputCase.Of("no attempt", """{"partition":0,"max":1}""", 400, "$.attempt is missing"),
            BadInputCase.Of("a partition out of range", """{"partition":9,"attempt":0,"max":1}""", 400, "partition must be 0 to 1"),
            BadInputCase.Of("max 0", """{"partition":0,"attempt":0,"max":0}""", 400, "max at least 1"),
            BadInputCase.Of("replies of the wrong kind", """{"partition":0,"attempt":-1,"max":1,"replies":[{"id":1,"status":200,"body":{}}]}""", 400, "$.replies[0].id must be a string"),
            BadInputCase.Of("null replies (none)", """{"partition":0,"attempt":-1,"max":1,"replies":null}""", 409),
        ];

        await BadInputAssertions.RunAsync(client, "v1/serving/hello/pull", corpus, output);

        await HelloStillServedAsync();
    }

    /// <summary>The cases every wire envelope shares; <paramref name="valid"/> is a good envelope, answered <paramref name="ok"/>.</summary>
    private static IEnumerable<BadInputCase> Envelope(string valid, int ok) =>
    [
        BadInputCase.Of("malformed JSON", valid[..^2], 400, "Invalid"),
        BadInputCase.Of("an empty body", "", 400, "empty"),
        BadInputCase.Of("null", "null", 400, "expected a JSON object, got null"),
        BadInputCase.Of("an array", "[]", 400, "expected a JSON object, got [] (an array)"),
        BadInputCase.Of($"{DeepNesting:N0} levels of nesting", valid[..^1] + $$""","deep":{{Nested()}}}""", 400, "nested", "maximum depth"),
        BadInputCase.Bytes("invalid UTF-8 outside a string", Splice(valid[..^1] + ",", [0xFF], "}"), 400, "0xFF"),
        new("JSON sent as text/plain", Utf8(valid), "text/plain", 415, "text/plain", "application/json"),
        new("GET", null, null, 405, "GET", "POST") { Method = HttpMethod.Get },
        new("JSON with no Content-Type", Utf8(valid), null, ok),
        BadInputCase.Of("a good envelope", valid, ok),
    ];

    private HttpClient Client(Uri address)
    {
        var client = new HttpClient { BaseAddress = address };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", _serving.Cluster.Token.Value);
        return client;
    }

    private async Task HelloStillServedAsync()
    {
        using var client = new HttpClient { BaseAddress = _serving.Address };
        var response = await client.PostAsync("serve/hello", new StringContent("""{"foo":"after","bar":2}""", System.Text.Encoding.UTF8, "application/json"));
        response.StatusCode.Should().Be(HttpStatusCode.OK);
        (await response.ReadAsync<HelloReply>()).Should().Be(new HelloReply(5));
        _logging.Logs.Text.Should().NotContainEquivalentOf("unhandled exception");
    }
}
