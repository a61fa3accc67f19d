using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Partitioned.Coordination;
using Partitioned.Directories;
using Partitioned.Protocol;
using Partitioned.Security;
using Partitioned.Server;
using Xunit.Abstractions;

namespace Partitioned.Tests.PartitionServer;

public sealed class PartitionServerLifecycleTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Run_RegistersBoundAddressOnlyWhenListening()
    {
        // The coordinator dials the registered address while handling the registration: it must already answer.
        HttpStatusCode? dialled = null;
        var server = new RowsServer(new TestServerSettings());
        var (loggerFactory, _) = TestLogging.Create(output);
        var token = ClusterToken.Create();
        await using var coordinator = await Partitioned.Coordination.Coordinator.StartAsync(new CoordinatorOptions { PartitionCount = 1, Token = token, LoggerFactory = loggerFactory });
        coordinator.Directory.Changed += (_, change) =>
        {
            using var client = new HttpClient();
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token.Value);
            dialled = client.GetAsync(new Uri(change.Current.Endpoint!, "control/health")).GetAwaiter().GetResult().StatusCode;
        };
        using var abandon = new CancellationTokenSource();
        var run = PartitionServerHost.RunAsync(server, new PartitionLaunch("c", 0, 0, 1, coordinator.Address, token), new[] { 1, 2, 3 }.ToAsyncEnumerable(), loggerFactory, cancellationToken: abandon.Token);

        await Eventually.TrueAsync(() => dialled is not null, "the coordinator's change handler dialled the endpoint");

        dialled.Should().Be(HttpStatusCode.OK);
        coordinator.Directory.Current[0].Endpoint!.Port.Should().BeGreaterThan(0);
        await abandon.CancelAsync();
        await run.IgnoreFailureAsync();
    }

    [Fact]
    public async Task Health_ReportsServingStateAndRowCount_WithoutCountingItselfInFlight()
    {
        await using var harness = await PartitionHarness<int, int>.StartAsync(new RowsServer(new()), [1, 2, 3, 4], output);
        using var client = harness.Client();

        var health = await client.GetFromJsonAsync<PartitionHealth>("control/health");

        health.Should().Be(new PartitionHealth("serving", "test-cluster", 0, 0, 4, 0));
    }

    [Fact]
    public async Task ControlRoutes_RefuseMissingAndWrongToken_AndTokenNeverLogged()
    {
        await using var harness = await PartitionHarness<int, int>.StartAsync(new RowsServer(new()), [1], output);
        using var anonymous = harness.Client(authorize: false);

        var missingHealth = await anonymous.GetAsync("control/health");
        var missingShutdown = await anonymous.PostAsync("control/shutdown", null);
        using var wrong = new HttpRequestMessage(HttpMethod.Post, "control/shutdown");
        wrong.Headers.Authorization = new AuthenticationHeaderValue("Bearer", ClusterToken.Create().Value);
        var wrongShutdown = await anonymous.SendAsync(wrong);
        using var basic = new HttpRequestMessage(HttpMethod.Get, "control/health");
        basic.Headers.Authorization = new AuthenticationHeaderValue("Basic", harness.Token.Value);
        var wrongScheme = await anonymous.SendAsync(basic);

        missingHealth.StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        missingShutdown.StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        wrongShutdown.StatusCode.Should().Be(HttpStatusCode.Forbidden);
        wrongScheme.StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        harness.Run.IsCompleted.Should().BeFalse("a refused shutdown must not stop the server");

        var results = await harness.ShutdownAsync();
        results.Should().Equal(1);
        harness.Logs.Lines.Should().NotBeEmpty();
        harness.Logs.Text.Should().NotContain(harness.Token.Value);
    }

    [Fact]
    public async Task AppRoutes_AreMountedUnderApp()
    {
        await using var harness = await PartitionHarness<int, int>.StartAsync(new RowsServer(new()), [5, 6], output);
        using var client = harness.Client(authorize: false);

        (await client.GetFromJsonAsync<int[]>("app/rows")).Should().Equal(5, 6);
        (await client.GetAsync("rows")).StatusCode.Should().Be(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task RouteThatThrows_Returns500ProblemWithTraceId_AndServerKeepsServing()
    {
        await using var harness = await PartitionHarness<int, int>.StartAsync(new RowsServer(new()), [1], output);
        using var client = harness.Client(authorize: false);

        var failed = await client.GetAsync("app/throw");
        var after = await client.GetAsync("app/rows");

        failed.StatusCode.Should().Be(HttpStatusCode.InternalServerError);
        failed.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
        var problem = await failed.Content.ReadFromJsonAsync<JsonElement>();
        problem.GetProperty("traceId").GetString().Should().NotBeNullOrEmpty();
        after.StatusCode.Should().Be(HttpStatusCode.OK);
        harness.Logs.Text.Should().Contain("route failed on purpose");
    }

    [Fact]
    public async Task RouteWithUnbindableBody_Returns400SayingWhatFailed()
    {
        await using var harness = await PartitionHarness<int, int>.StartAsync(new RowsServer(new()), [1], output);
        using var client = harness.Client(authorize: false);

        var ok = await client.PostAsJsonAsync("app/sum", new { values = new[] { 1, 2 } });
        var bad = await client.PostAsync("app/sum", new StringContent("""{"values": ["x"]}""", Encoding.UTF8, "application/json"));

        (await ok.Content.ReadFromJsonAsync<SumReply>())!.Sum.Should().Be(3);
        bad.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        var problem = await bad.Content.ReadFromJsonAsync<JsonElement>();
        problem.GetProperty("detail").GetString().Should().Contain("SumRequest").And.Contain("$.values");
    }

    [Fact]
    public async Task RouteBody_NumberSentAsString_Returns400_TheStrictRulesApplyToUserRoutesToo()
    {
        await using var harness = await PartitionHarness<int, int>.StartAsync(new RowsServer(new()), [1], output);
        using var client = harness.Client(authorize: false);

        var response = await client.PostAsync("app/sum", new StringContent("""{"values": [1, "2"]}""", Encoding.UTF8, "application/json"));

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest, "the web defaults would read \"2\" as 2");
        (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString().Should().Contain("$.values[1]");
    }

    [Fact]
    public async Task Shutdown_DrainsSlowInFlightRequest_ThenProducesResults()
    {
        await using var harness = await PartitionHarness<int, int>.StartAsync(new RowsServer(new()), [7, 8, 9], output);
        using var client = harness.Client(authorize: false);
        var slow = client.GetAsync("app/slow?ms=1500");
        await Eventually.TrueAsync(async () => (await HealthAsync(harness)).InFlight >= 1, "the slow request is in flight");

        var results = await harness.ShutdownAsync();

        var response = await slow;
        response.StatusCode.Should().Be(HttpStatusCode.OK);
        (await response.Content.ReadAsStringAsync()).Should().Be("done");
        results.Should().Equal(7, 8, 9);
    }

    [Fact]
    public async Task Shutdown_StopsAcceptingConnections()
    {
        await using var harness = await PartitionHarness<int, int>.StartAsync(new RowsServer(new()), [1], output);
        var endpoint = harness.Endpoint;

        await harness.ShutdownAsync();

        using var client = new HttpClient { BaseAddress = endpoint };
        var act = () => client.GetAsync("app/rows");
        await act.Should().ThrowAsync<HttpRequestException>();
    }

    [Fact]
    public async Task InitFailure_ReportsToCoordinatorAndFailsAttempt()
    {
        var server = new RowsServer(new TestServerSettings { FailInitPartitions = [0] });
        await using var harness = await PartitionHarness<int, int>.StartAsync(server, [1], output, waitForRegistration: false);

        var act = () => harness.Run;

        (await act.Should().ThrowAsync<PartitionAttemptException>())
            .Which.Message.Should().Contain("initialisation failed").And.Contain(RowsServer.InitFailureMessage);
        harness.Coordinator.Directory.Current[0].LastError.Should().Contain(RowsServer.InitFailureMessage);
        harness.Coordinator.Directory.Current[0].State.Should().Be(PartitionState.Pending);
    }

    [Fact]
    public async Task FixedPort_IsUsed_AndPortRangeSkipsTakenPorts()
    {
        using var blocker = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        blocker.Start();
        var taken = ((IPEndPoint)blocker.LocalEndpoint).Port;

        var options = new PartitionServerOptions { Ports = new PortRange(taken, taken + 20) };
        await using var harness = await PartitionHarness<int, int>.StartAsync(new RowsServer(new()), [1], output, options);

        harness.Endpoint.Port.Should().BeInRange(taken + 1, taken + 20);
    }

    [Fact]
    public async Task SinglePortInUse_FailsWithClearError()
    {
        using var blocker = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        blocker.Start();
        var taken = ((IPEndPoint)blocker.LocalEndpoint).Port;

        await using var harness = await PartitionHarness<int, int>.StartAsync(new RowsServer(new()), [1], output, new PartitionServerOptions { Ports = PortRange.Single(taken) }, waitForRegistration: false);
        var act = () => harness.Run;

        (await act.Should().ThrowAsync<PartitionAttemptException>()).Which.Message.Should().Contain($"No free port in {taken}");
    }

    [Fact]
    public async Task InvalidOptions_ListEveryProblem()
    {
        var launch = new PartitionLaunch("c", 0, 0, 1, new Uri("http://127.0.0.1:1/"), ClusterToken.Create())
        {
            Server = new PartitionServerOptions { BindAddress = "localhost", Ports = new PortRange(10, 5), RegistrationTimeout = TimeSpan.Zero },
        };

        var act = () => PartitionServerHost.RunAsync(new RowsServer(new()), launch, AsyncEnumerable.Empty<int>());

        var error = (await act.Should().ThrowAsync<Microsoft.Extensions.Options.OptionsValidationException>()).Which;
        error.Failures.Should().HaveCount(3);
        error.Message.Should().Contain("BindAddress").And.Contain("Ports").And.Contain("RegistrationTimeout").And.NotContain(".;");
    }

    private static async Task<PartitionHealth> HealthAsync(PartitionHarness<int, int> harness)
    {
        using var client = harness.Client();
        return (await client.GetFromJsonAsync<PartitionHealth>("control/health"))!;
    }
}
