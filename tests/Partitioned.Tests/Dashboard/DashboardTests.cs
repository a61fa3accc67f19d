using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Playwright;
using Partitioned.Clustering;
using Partitioned.Serving;
using Partitioned.Testing.Browser;
using Xunit.Abstractions;

namespace Partitioned.Tests.Dashboard;

/// <summary>The live dashboard in a real browser (Debian's headless Chromium through Playwright).</summary>
public sealed class DashboardTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string Key = "a-dashboard-key-for-tests-only";

    private ILoggerFactory _loggerFactory = null!;
    private IPlaywright _playwright = null!;
    private IBrowser _browser = null!;

    public async Task InitializeAsync()
    {
        (_loggerFactory, _) = TestLogging.Create(output, LogLevel.Information);
        await Chromium.EnsureInstalledAsync();
        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new() { ExecutablePath = Chromium.ExecutablePath, Headless = true, Args = Chromium.Arguments });
    }

    public async Task DisposeAsync()
    {
        await _browser.DisposeAsync();
        _playwright.Dispose();
        _loggerFactory.Dispose();
    }

    [Fact]
    public async Task Dashboard_ShowsEveryPartitionServing_ThenAKilledOneLostAndBackAsTheNextAttempt_WithoutAReload()
    {
        // A longer re-launch delay keeps the killed partition lost long enough to be seen.
        var options = TestClusters.Options(_loggerFactory, TestWorkers.Runner()) with { RelaunchDelay = TimeSpan.FromSeconds(2) };
        await using var cluster = await Clustering.Cluster.StartAsync(TestClusters.Integers(9, 3), TestServers.RowsWith(), options);
        await using var app = await StartAppAsync(app => app.MapPartitionedDashboard(cluster));
        var page = await _browser.NewPageAsync();

        var response = await page.GotoAsync(Url(app, "dashboard/"));
        response!.Status.Should().Be(200);
        for (var partition = 0; partition < 3; partition++)
        {
            await Expect(page.Locator($"#partitions tr[data-partition='{partition}'] [data-field='state']")).ToHaveTextAsync("serving");
            await Expect(page.Locator($"#partitions tr[data-partition='{partition}'] [data-field='attempt']")).ToHaveTextAsync("0");
        }

        await Expect(page.Locator("#cluster-serving")).ToHaveTextAsync("3 / 3");
        await page.EvaluateAsync("() => { window.__sameDocument = true; }");
        var victim = (await cluster.GetClient(1).GetFromJsonAsync<ServerInfo>("info"))!.ProcessId;

        using (var process = Process.GetProcessById(victim))
        {
            process.Kill();
        }

        var row = page.Locator("#partitions tr[data-partition='1']");
        await Expect(row.Locator("[data-field='state']")).ToHaveTextAsync("lost", new() { Timeout = 30_000 });
        await Expect(row.Locator("[data-field='lastError']")).ToContainTextAsync("killed by signal 9");
        await Expect(row.Locator("[data-field='state']")).ToHaveTextAsync("serving", new() { Timeout = 60_000 });
        await Expect(row.Locator("[data-field='attempt']")).ToHaveTextAsync("1");
        await Expect(page.Locator("#attempts tr[data-partition='1'][data-attempt='0'] [data-field='status']")).ToHaveTextAsync("failed");
        (await page.EvaluateAsync<bool>("() => window.__sameDocument === true")).Should().BeTrue("the page changed live, without a reload");

        if (Environment.GetEnvironmentVariable("PARTITIONED_DASHBOARD_SCREENSHOT") is { Length: > 0 } screenshot)
        {
            await page.SetViewportSizeAsync(1280, 640);
            await page.ScreenshotAsync(new() { Path = screenshot, FullPage = true });
        }

        (await page.ContentAsync()).Should().NotContain(cluster.Token.Value);
        using var http = new HttpClient { BaseAddress = new Uri(Url(app, "dashboard/")) };
        (await http.GetStringAsync("state")).Should().NotContain(cluster.Token.Value).And.Contain("\"node\"");
    }

    [Fact]
    public async Task Dashboard_WithAKey_ShowsNothingUntilTheKeyIsGiven_AndKeepsItOutOfTheBrowser()
    {
        await using var cluster = await Clustering.Cluster.StartAsync(TestClusters.Integers(4, 2), TestServers.RowsWith(), TestClusters.Options(_loggerFactory));
        await using var app = await StartAppAsync(app => app.MapPartitionedDashboard(cluster, "/ops/dashboard", new DashboardOptions { AccessKey = Key }));
        using var http = new HttpClient { BaseAddress = new Uri(Url(app, "ops/dashboard/")) };

        (await http.GetAsync("events")).StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        (await http.GetAsync("state")).StatusCode.Should().Be(HttpStatusCode.Unauthorized);

        var page = await _browser.NewPageAsync();
        var first = await page.GotoAsync(Url(app, "ops/dashboard/"));
        first!.Status.Should().Be(401);
        (await page.ContentAsync()).Should().Contain("needs its key").And.NotContain("partitions");

        await page.FillAsync("#key", "not-the-key-at-all");
        await page.ClickAsync("button[type=submit]");
        await Expect(page.Locator("#key")).ToBeVisibleAsync();
        await Expect(page.Locator("#partitions")).ToHaveCountAsync(0);

        await page.FillAsync("#key", Key);
        await page.ClickAsync("button[type=submit]");
        await Expect(page.Locator("#partitions tr[data-partition='1'] [data-field='state']")).ToHaveTextAsync("serving");

        (await page.EvaluateAsync<string>("() => document.cookie")).Should().BeEmpty("the session cookie is HttpOnly");
        var content = await page.ContentAsync();
        content.Should().NotContain(Key).And.NotContain(cluster.Token.Value);
    }

    [Fact]
    public async Task Dashboard_ShowsEachServicesRequestRateAndLatency()
    {
        await using var serving = await ServingCluster.StartAsync(TestClusters.Integers(4, 2), TestServers.ServingWith(), new ServingOptions(), TestClusters.Options(_loggerFactory));
        await using var app = await StartAppAsync(app => app.MapPartitionedDashboard(serving.Cluster));
        var page = await _browser.NewPageAsync();
        await page.GotoAsync(Url(app, "dashboard"));
        using var http = new HttpClient();
        for (var i = 0; i < 60; i++)
        {
            (await http.PostAsJsonAsync(serving.GetServiceUri("hello"), new { foo = "abc", bar = i })).EnsureSuccessStatusCode();
        }

        var hello = page.Locator("#services tr[data-service='hello']");
        await Expect(hello.Locator("[data-field='requestsPerSecond']")).Not.ToHaveTextAsync("0", new() { Timeout = 20_000 });
        await Expect(hello.Locator("[data-field='p50']")).Not.ToHaveTextAsync("-");

        // The labels each partition's attempt announced: the test server's own, and the serving layer's idempotent services.
        var labels = page.Locator("#partitions tr[data-partition='1'] [data-field='labels']");
        await Expect(labels).ToContainTextAsync("test/rows=2");
        await Expect(labels).ToContainTextAsync("partitioned.serving/idempotent=version");
    }

    [Fact]
    public void Access_WithoutAKey_RefusesEveryoneButLoopback()
    {
        var access = new DashboardAccess(key: null);

        access.Check(Context(IPAddress.Loopback)).Should().Be(DashboardAccessResult.Allowed);
        access.Check(Context(IPAddress.IPv6Loopback)).Should().Be(DashboardAccessResult.Allowed);
        access.Check(Context(IPAddress.Parse("10.213.70.12"))).Should().Be(DashboardAccessResult.Refused);
        access.Check(Context(null)).Should().Be(DashboardAccessResult.Refused);

        static HttpContext Context(IPAddress? remote) => new DefaultHttpContext { Connection = { RemoteIpAddress = remote } };
    }

    private static ILocatorAssertions Expect(ILocator locator) => Assertions.Expect(locator);

    private static async Task<WebApplication> StartAppAsync(Action<WebApplication> map)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        map(app);
        await app.StartAsync();
        return app;
    }

    private static string Url(WebApplication app, string path) => app.Urls.First() + "/" + path;
}
