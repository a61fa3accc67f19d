using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;
using Partitioned.Serving;
using Partitioned.Server;
using Xunit.Abstractions;

namespace Partitioned.Tests.BadInput;

/// <summary>
/// Service names follow one rule at every way in: anything else is 404 problem details and is never forwarded. The
/// requests are sent with their paths exactly as written here (no client-side normalisation), as an attacker would.
/// </summary>
public sealed class ServiceNameTests(ITestOutputHelper output) : IAsyncLifetime
{
    /// <summary>Raw path segments after <c>/serve/</c>, as they travel; none is a service name.</summary>
    private static readonly string[] BadNames =
    [
        "..%5Ccontrol%5Cshutdown",          // \ becomes / in System.Uri, and .. is resolved: the partition's /control/shutdown
        "..%5Capp%5Chits",                  // ... or its /app routes
        "%2E%2E%5Capp%5Chits",
        "x%5C..%5C..%5Capp%5Chits",
        "..%2Fapp%2Fhits",                  // an encoded /
        "count%2F..%2F..%2Fapp%2Fhits",
        "count%3Fx%3D1",                    // ? would start a query: the rest of the name silently dropped
        "count%23fragment",                 // # would start a fragment
        "count%00",                         // NUL: Kestrel itself refuses it (400) before any route runs
        "count%20",
        "count%25",
        "%2E%2E",
        "%2E",
        new string('a', 129),               // longer than 128
    ];

    private readonly (ILoggerFactory Factory, CapturingLoggerProvider Logs) _logging = TestLogging.Create(output);

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync()
    {
        _logging.Factory.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task Gateway_BadNames_Get404AndNothingIsForwarded()
    {
        await using var upstream = await Recorder.StartAsync();
        await using var serving = await ServingCluster.StartAsync(
            TestClusters.Integers(4, 1), Counting.Definition, new ServingOptions(),
            TestClusters.Options(_logging.Factory) with { HealthCheckInterval = TimeSpan.FromHours(1), StopTimeout = TimeSpan.FromSeconds(2) });

        // Partition 0 "moves" to a recorder that announces the service "count": it sees every request the gateway relays.
        var directory = serving.Cluster.Directory;
        var next = directory.Current[0].Attempt + 1;
        directory.Admit(0, next);
        directory.Register(0, next, upstream.Address, labels: new Dictionary<string, string> { ["partitioned.serving/services"] = "count" });
        using var http = new HttpClient();

        foreach (var name in BadNames)
        {
            var (status, type, detail) = await PostRawAsync(http, serving.Address, "serve/" + name);
            output.WriteLine($"gateway /serve/{Shorten(name)}: {status} {detail}");
            if (ExpectStatus(name, status))
            {
                type.Should().Be("application/problem+json");
            }
        }

        upstream.Hits.Should().BeEmpty("nothing with a bad name may be relayed");
        (await PostRawAsync(http, serving.Address, "serve/count")).Status.Should().Be(200, "a good name is relayed");
        upstream.Hits.Should().Equal("/serve/count");
    }

    [Fact]
    public async Task Gateway_NameNoReplicaAnnounces_Gets404ListingTheServices_AndIsNotRelayed()
    {
        await using var upstream = await Recorder.StartAsync();
        await using var serving = await ServingCluster.StartAsync(
            TestClusters.Integers(4, 1), Counting.Definition, new ServingOptions(),
            TestClusters.Options(_logging.Factory) with { HealthCheckInterval = TimeSpan.FromHours(1), StopTimeout = TimeSpan.FromSeconds(2) });
        var directory = serving.Cluster.Directory;
        var next = directory.Current[0].Attempt + 1;
        directory.Admit(0, next);
        directory.Register(0, next, upstream.Address, labels: new Dictionary<string, string> { ["partitioned.serving/services"] = "count" });
        using var http = new HttpClient();

        var (status, type, detail) = await PostRawAsync(http, serving.Address, "serve/nope");

        status.Should().Be(404);
        type.Should().Be("application/problem+json");
        detail.Should().Contain("'nope'").And.Contain("Services: count");
        upstream.Hits.Should().BeEmpty();
    }

    [Fact]
    public async Task Gateway_UnknownRoute_Gets404ProblemDetails()
    {
        await using var serving = await ServingCluster.StartAsync(TestClusters.Integers(4, 1), Counting.Definition, new ServingOptions(), TestClusters.Options(_logging.Factory));
        using var http = new HttpClient();

        var (status, type, detail) = await PostRawAsync(http, serving.Address, "serve/count/extra");

        status.Should().Be(404);
        type.Should().Be("application/problem+json");
        detail.Should().Contain("POST /serve/{name}");
    }

    [Fact]
    public async Task HeadNode_BadNames_Get404NamingTheRule_AndNothingReachesAPartition()
    {
        await using var serving = await ServingCluster.StartAsync(
            TestClusters.Integers(4, 1), Counting.Definition, new ServingOptions { Mode = ServingMode.HeadNode, Services = ["count"] }, TestClusters.Options(_logging.Factory));
        using var http = new HttpClient();
        var hitsBefore = Counting.Hits;

        await ExpectRefusedAsync(http, serving.Address, "serve/", "head node");
        var (partitionStatus, _, partitionDetail) = await PostRawAsync(http, serving.Cluster.CoordinatorAddress, "v1/serving/..%5Ccount/pull", serving.Cluster.Token.Value);
        partitionStatus.Should().Be(404);
        partitionDetail.Should().Contain("1 to 128");

        Counting.Hits.Should().Be(hitsBefore, "no request with a bad name reaches a partition");
        (await PostRawAsync(http, serving.Address, "serve/count")).Status.Should().Be(200);
    }

    [Fact]
    public async Task Partition_BadNames_Get404NamingTheRule_OnServeAndForwardRoutes()
    {
        await using var cluster = await Clustering.Cluster.StartAsync(TestClusters.Integers(4, 1), Counting.Definition, TestClusters.Options(_logging.Factory));
        using var http = new HttpClient();
        var partition = cluster.Hosts[0];
        var hitsBefore = Counting.Hits;

        await ExpectRefusedAsync(http, partition, "serve/", "partition");
        await ExpectRefusedAsync(http, partition, "control/serving/", "partition forward", suffix: "/forward", authorization: cluster.Token.Value);

        Counting.Hits.Should().Be(hitsBefore, "no request with a bad name reaches a handler or an /app route");
        (await PostRawAsync(http, partition, "serve/count")).Status.Should().Be(200);
    }

    [Theory]
    [InlineData("a/b")]
    [InlineData("a\\b")]
    [InlineData("..")]
    [InlineData(".")]
    [InlineData("a?b")]
    [InlineData("a#b")]
    [InlineData("a%2Fb")]
    [InlineData("a\0b")]
    [InlineData("a b")]
    [InlineData("caf\u00e9")]
    public void Definition_BadName_IsRefusedSayingWhatIsWrong(string name)
    {
        var define = () => ServiceDefinition.Create(name, (HelloRequest r) => new HelloReply(1));

        define.Should().Throw<ArgumentException>().WithMessage("*1 to 128 ASCII letters, digits*");
    }

    [Fact]
    public void Definition_NameLongerThan128_IsRefusedSayingItsLength()
    {
        ServiceDefinition.Create(new string('a', 128), (HelloRequest r) => new HelloReply(1)).Name.Should().HaveLength(128);
        var define = () => ServiceDefinition.Create(new string('a', 129), (HelloRequest r) => new HelloReply(1));

        define.Should().Throw<ArgumentException>().WithMessage("*129 characters long, more than 128*");
    }

    [Fact]
    public async Task HeadNodeServices_BadName_FailsValidationNamingTheEntry()
    {
        var options = new ServingOptions { Mode = ServingMode.HeadNode, Services = ["count", "..\\app"] };

        var start = () => ServingCluster.StartAsync(TestClusters.Integers(4, 1), Counting.Definition, options, TestClusters.Options(_logging.Factory));

        await start.Should().ThrowAsync<Microsoft.Extensions.Options.OptionsValidationException>().WithMessage("*Services[1]*1 to 128*");
    }

    private async Task ExpectRefusedAsync(HttpClient http, Uri address, string prefix, string where, string suffix = "", string? authorization = null)
    {
        foreach (var name in BadNames)
        {
            var (status, type, detail) = await PostRawAsync(http, address, prefix + name + suffix, authorization);
            output.WriteLine($"{where} /{prefix}{Shorten(name)}{suffix}: {status} {detail}");
            if (!ExpectStatus(name, status))
            {
                continue;
            }

            type.Should().Be("application/problem+json");

            // Either the name rule refused it, or (a name routing could not even match) the route does not exist.
            detail.Should().Match(d => d.Contains("1 to 128", StringComparison.Ordinal) || d.StartsWith("No route", StringComparison.Ordinal));
        }
    }

    /// <summary>Checks the status of a bad name: 404, except a NUL, which Kestrel refuses with 400 before routing. True for 404.</summary>
    private static bool ExpectStatus(string name, int status)
    {
        if (name.Contains("%00", StringComparison.Ordinal))
        {
            status.Should().Be(400, "Kestrel refuses a NUL in the path before any route runs");
            return false;
        }

        status.Should().Be(404, "'{0}' is not a service name", name);
        return true;
    }

    private static string Shorten(string name) => name.Length > 40 ? name[..40] + "..." : name;

    /// <summary>POSTs <c>{}</c> to <paramref name="path"/> exactly as written: no unescaping, no dot-segment removal.</summary>
    private static async Task<(int Status, string? Type, string Detail)> PostRawAsync(HttpClient http, Uri address, string path, string? authorization = null)
    {
        var uri = new Uri(address.GetLeftPart(UriPartial.Authority) + "/" + path, new UriCreationOptions { DangerousDisablePathAndQueryCanonicalization = true });
        using var request = new HttpRequestMessage(HttpMethod.Post, uri) { Content = new StringContent("{}") };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        if (authorization is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", authorization);
        }

        using var response = await http.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        var detail = body;
        if (response.Content.Headers.ContentType?.MediaType == "application/problem+json")
        {
            using var problem = JsonDocument.Parse(body);
            detail = problem.RootElement.GetProperty("detail").GetString()!;
        }

        return ((int)response.StatusCode, response.Content.Headers.ContentType?.MediaType, detail);
    }

    /// <summary>An upstream that records the path and query of every request it gets, and answers 200.</summary>
    private sealed class Recorder : IAsyncDisposable
    {
        private readonly WebApplication _app;

        private Recorder(WebApplication app) => _app = app;

        public ConcurrentQueue<string> Hits { get; } = new();

        public Uri Address => new(_app.Urls.First() + "/");

        public static async Task<Recorder> StartAsync()
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            builder.Logging.ClearProviders();
            var app = builder.Build();
            var recorder = new Recorder(app);
            app.Run(context =>
            {
                recorder.Hits.Enqueue(context.Request.Path + context.Request.QueryString);
                context.Response.ContentType = "application/json";
                return context.Response.WriteAsync("{}");
            });
            await app.StartAsync();
            return recorder;
        }

        public async ValueTask DisposeAsync() => await _app.DisposeAsync();
    }

    /// <summary>A partition server whose one service and every /app route count what reaches them.</summary>
    private sealed class Counting : PartitionServer<int, int>
    {
        private static int s_hits;

        public static PartitionServerDefinition<int, int> Definition { get; } = PartitionServerDefinition.Create("counting", () => new Counting());

        public static int Hits => Volatile.Read(ref s_hits);

        protected internal override ValueTask InitializeAsync(IAsyncEnumerable<int> rows, CancellationToken cancellationToken) => ValueTask.CompletedTask;

        protected internal override void MapRoutes(IEndpointRouteBuilder app) =>
            app.Map("/{**path}", () => Interlocked.Increment(ref s_hits));

        protected internal override void ConfigureFeatures(PartitionFeatures features) =>
            features.AddService(ServiceDefinition.Create("count", (CountRequest _) => new HelloReply(Interlocked.Increment(ref s_hits))));
    }
}

/// <summary>A request with nothing in it: <c>{}</c>.</summary>
internal sealed record CountRequest;
