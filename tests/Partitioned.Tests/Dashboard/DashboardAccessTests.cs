using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Logging;
using Partitioned.Clustering;
using Xunit.Abstractions;

namespace Partitioned.Tests.Dashboard;

/// <summary>Who may open the dashboard, over real HTTP (the browser tests are in <see cref="DashboardTests"/>).</summary>
public sealed class DashboardAccessTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string Key = "a-dashboard-key-for-tests-only";

    private readonly (ILoggerFactory Factory, CapturingLoggerProvider Logs) _logging = TestLogging.Create(output, LogLevel.Trace);
    private Cluster<int, int> _cluster = null!;

    public async Task InitializeAsync() =>
        _cluster = await Clustering.Cluster.StartAsync(TestClusters.Integers(4, 2), TestServers.RowsWith(), TestClusters.Options(_logging.Factory));

    public async Task DisposeAsync()
    {
        await _cluster.DisposeAsync();
        _logging.Factory.Dispose();
    }

    [Theory]
    [InlineData("X-Forwarded-For", "203.0.113.7")]
    [InlineData("Forwarded", "for=203.0.113.7;proto=https")]
    [InlineData("X-Real-IP", "203.0.113.7")]
    [InlineData("X-Forwarded-Host", "dashboard.example.org")]
    public async Task LoopbackOnly_RequestThroughAProxy_IsRefusedAskingForAKey(string header, string value)
    {
        await using var app = await StartAppAsync(options: null);
        using var http = new HttpClient { BaseAddress = new Uri(app.Urls.First() + "/dashboard/") };

        foreach (var path in new[] { "", "state", "events" })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, path);
            request.Headers.TryAddWithoutValidation(header, value);
            using var response = await http.SendAsync(request);

            response.StatusCode.Should().Be(HttpStatusCode.Forbidden, "/{0} with {1} came through a proxy", path, header);
            response.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
            var detail = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("detail").GetString();
            detail.Should().Contain("proxy").And.Contain("DashboardOptions.AccessKey");
        }

        (await http.GetAsync("state")).StatusCode.Should().Be(HttpStatusCode.OK, "a loopback request without forwarded headers still sees it");
    }

    [Fact]
    public async Task WithAKey_TheKeyIsNeverInToStringTheLogsThePageOrTheState_AndAProxiedLoginWorks()
    {
        var options = new DashboardOptions { AccessKey = Key, AttemptHistory = 7 };
        options.ToString().Should().NotContain(Key).And.Contain("AccessKey = (redacted)").And.Contain("AttemptHistory = 7");
        new DashboardOptions().ToString().Should().Contain("AccessKey = null");

        // An app that logs its settings, as apps do: the options' text is what a log line gets.
        _logging.Factory.CreateLogger("app").LogInformation("Dashboard settings: {Options}", options);
        await using var app = await StartAppAsync(options);
        using var handler = new HttpClientHandler { AllowAutoRedirect = false };
        using var http = new HttpClient(handler) { BaseAddress = new Uri(app.Urls.First() + "/dashboard/") };
        http.DefaultRequestHeaders.Add("X-Forwarded-For", "203.0.113.7");

        (await http.GetAsync("state")).StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        var login = await http.PostAsync("login", new FormUrlEncodedContent(new Dictionary<string, string> { ["key"] = Key }));
        login.StatusCode.Should().Be(HttpStatusCode.Redirect);
        var page = await http.GetStringAsync("");
        var state = await http.GetStringAsync("state");

        page.Should().NotContain(Key);
        state.Should().NotContain(Key).And.Contain("\"partitions\"");
        _logging.Logs.Text.Should().NotContain(Key);
    }

    private async Task<WebApplication> StartAppAsync(DashboardOptions? options)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders().AddProvider(_logging.Logs).SetMinimumLevel(LogLevel.Trace);
        var app = builder.Build();
        app.MapPartitionedDashboard(_cluster, "/dashboard", options);
        await app.StartAsync();
        return app;
    }
}
