using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Partitioned.Coordination;
using Partitioned.Directories;
using Partitioned.Protocol;
using Partitioned.Security;

namespace Partitioned.Tests.Coordinator;

/// <summary>The coordinator's JSON protocol over real HTTP, as a partition in any language would speak it.</summary>
public sealed class CoordinatorProtocolTests : IAsyncLifetime
{
    private readonly ClusterToken _token = ClusterToken.Create();
    private Partitioned.Coordination.Coordinator _coordinator = null!;
    private HttpClient _http = null!;

    public async Task InitializeAsync()
    {
        _coordinator = await Partitioned.Coordination.Coordinator.StartAsync(new CoordinatorOptions
        {
            PartitionCount = 3,
            Token = _token,
            HealthCheckInterval = TimeSpan.FromHours(1),
        });
        _http = new HttpClient { BaseAddress = _coordinator.Address };
        _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", _token.Value);
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _coordinator.DisposeAsync();
    }

    [Fact]
    public async Task Register_Valid_Returns200AndAppearsInHosts()
    {
        var response = await _http.PostAsJsonAsync("v1/register", new { partition = 1, attempt = 0, endpoint = "http://127.0.0.1:4000" });

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        var hosts = await _http.GetFromJsonAsync<JsonElement>("v1/hosts");
        hosts.GetProperty("hosts").EnumerateArray().Should().ContainSingle()
            .Which.GetProperty("endpoint").GetString().Should().Be("http://127.0.0.1:4000/");
    }

    [Fact]
    public async Task Register_UnknownPartition_Returns400NamingTheRange()
    {
        var response = await _http.PostAsJsonAsync("v1/register", new { partition = 7, attempt = 0, endpoint = "http://127.0.0.1:4000" });

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await Detail(response)).Should().Contain("Partition 7 is unknown").And.Contain("0 to 2");
    }

    [Fact]
    public async Task Register_MissingField_Returns400NamingTheField()
    {
        var response = await _http.PostAsJsonAsync("v1/register", new { partition = 1, endpoint = "http://127.0.0.1:4000" });

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await Detail(response)).Should().Contain("attempt");
    }

    [Fact]
    public async Task Register_WrongFieldType_Returns400WithPath()
    {
        var response = await _http.PostAsync("v1/register", new StringContent("""{"partition":"one","attempt":0,"endpoint":"http://x:1"}""", Encoding.UTF8, "application/json"));

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await Detail(response)).Should().Contain("$.partition");
    }

    [Fact]
    public async Task Register_NotJson_Returns415SayingToSendJson()
    {
        var response = await _http.PostAsync("v1/register", new StringContent("partition=1", Encoding.UTF8, "text/plain"));

        response.StatusCode.Should().Be(HttpStatusCode.UnsupportedMediaType);
        (await Detail(response)).Should().Contain("text/plain").And.Contain("application/json");
    }

    [Fact]
    public async Task Register_RelativeEndpoint_Returns400()
    {
        var response = await _http.PostAsJsonAsync("v1/register", new { partition = 0, attempt = 0, endpoint = "/here" });

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await Detail(response)).Should().Contain("endpoint");
    }

    [Fact]
    public async Task Register_StaleAttempt_Returns409()
    {
        (await _http.PostAsJsonAsync("v1/register", new { partition = 0, attempt = 2, endpoint = "http://127.0.0.1:4002" })).EnsureSuccessStatusCode();

        var response = await _http.PostAsJsonAsync("v1/register", new { partition = 0, attempt = 1, endpoint = "http://127.0.0.1:4001" });

        response.StatusCode.Should().Be(HttpStatusCode.Conflict);
        (await Detail(response)).Should().Contain("stale").And.Contain("attempt 2");
    }

    [Fact]
    public async Task Register_HigherAttempt_ReturnsReplacedEntryAndRaisesEvent()
    {
        var changes = new List<PartitionChange>();
        _coordinator.Directory.Changed += (_, change) => changes.Add(change);
        (await _http.PostAsJsonAsync("v1/register", new { partition = 2, attempt = 0, endpoint = "http://127.0.0.1:5000" })).EnsureSuccessStatusCode();

        var response = await _http.PostAsJsonAsync("v1/register", new { partition = 2, attempt = 1, endpoint = "http://127.0.0.1:5001" });

        var body = await response.Content.ReadFromJsonAsync<RegistrationResponse>();
        body!.Replaced.Should().Be(new HostEntry(2, 0, "http://127.0.0.1:5000/"));
        changes.Select(c => c.Kind).Should().Equal(PartitionChangeKind.Registered, PartitionChangeKind.Replaced);
        changes[1].Previous.Endpoint.Should().Be(new Uri("http://127.0.0.1:5000/"));
        changes[1].Current.Endpoint.Should().Be(new Uri("http://127.0.0.1:5001/"));
    }

    [Theory]
    [InlineData("v1/hosts", "GET")]
    [InlineData("v1/status", "GET")]
    [InlineData("v1/register", "POST")]
    [InlineData("v1/failures", "POST")]
    public async Task Routes_WithoutToken_Return401AndWithWrongToken_Return403(string path, string method)
    {
        using var anonymous = new HttpClient { BaseAddress = _coordinator.Address };

        using var missing = await anonymous.SendAsync(new HttpRequestMessage(new HttpMethod(method), path));
        using var wrong = new HttpRequestMessage(new HttpMethod(method), path);
        wrong.Headers.Authorization = new AuthenticationHeaderValue("Bearer", ClusterToken.Create().Value);
        using var wrongResponse = await anonymous.SendAsync(wrong);

        missing.StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        missing.Headers.WwwAuthenticate.ToString().Should().Be("Bearer");
        wrongResponse.StatusCode.Should().Be(HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task Failures_Recorded_ShowInStatus()
    {
        (await _http.PostAsJsonAsync("v1/failures", new { partition = 1, attempt = 0, message = "init threw" })).StatusCode.Should().Be(HttpStatusCode.Accepted);

        var status = await _http.GetFromJsonAsync<StatusResponse>("v1/status");

        status!.Expected.Should().Be(3);
        status.Complete.Should().BeFalse();
        status.Partitions[1].Should().Match<PartitionStatus>(p => p.State == "pending" && p.Attempt == 0 && p.LastError == "init threw");
    }

    [Fact]
    public async Task UnknownRoute_Returns404ListingRoutes()
    {
        var response = await _http.GetAsync("v2/nothing");

        response.StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await Detail(response)).Should().Contain("/v1/register");
    }

    private static async Task<string> Detail(HttpResponseMessage response)
    {
        response.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        return problem.GetProperty("detail").GetString()!;
    }
}
