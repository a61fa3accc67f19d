using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Partitioned.Coordination;
using Partitioned.Security;

namespace Partitioned.Tests.Coordinator;

/// <summary>The coordinator composed of modules: a module's routes sit behind the coordinator's checks, and its 404 lists them.</summary>
public sealed class CoordinatorModuleTests : IAsyncLifetime
{
    private readonly ClusterToken _token = ClusterToken.Create();
    private Partitioned.Coordination.Coordinator _coordinator = null!;
    private HttpClient _http = null!;

    public async Task InitializeAsync()
    {
        _coordinator = await Partitioned.Coordination.Coordinator.StartAsync(new CoordinatorOptions
        {
            PartitionCount = 1,
            Token = _token,
            HealthCheckInterval = TimeSpan.FromHours(1),
            Modules = [new ControlRoutes(static v1 => v1.MapGet("/module/ping", () => Results.Text("pong")))],
        });
        _http = new HttpClient { BaseAddress = _coordinator.Address };
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _coordinator.DisposeAsync();
    }

    [Fact]
    public async Task ModuleRoute_NeedsTheClusterToken_LikeTheCoordinatorsOwn()
    {
        (await _http.GetAsync("v1/module/ping")).StatusCode.Should().Be(HttpStatusCode.Unauthorized);

        using var request = new HttpRequestMessage(HttpMethod.Get, "v1/module/ping");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _token.Value);
        using var response = await _http.SendAsync(request);

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        (await response.Content.ReadAsStringAsync()).Should().Be("pong");
    }

    [Fact]
    public async Task UnknownRoute_404_ListsEveryRoute_TheModulesToo()
    {
        using var response = await _http.GetAsync("v1/nowhere");

        response.StatusCode.Should().Be(HttpStatusCode.NotFound);
        response.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        problem.GetProperty("type").GetString().Should().Be("https://tools.ietf.org/html/rfc9110#section-15.5.5");
        problem.GetProperty("traceId").GetString().Should().NotBeNullOrEmpty();
        problem.GetProperty("detail").GetString().Should().StartWith("No route GET /v1/nowhere. Routes: ")
            .And.Contain("GET /v1/hosts").And.Contain("GET /v1/status").And.Contain("GET /v1/client")
            .And.Contain("POST /v1/register").And.Contain("POST /v1/failures")
            .And.Contain("POST /partitioned.v1.PartitionDirectory/Watch", "every route of the coordinator's own module is listed, not only those someone wrote down")
            .And.Contain("GET /v1/module/ping", "a module's routes are listed too");
    }
}
