using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Partitioned.Tests.Examples;

public sealed class ServingExamplesTests
{
    [Theory]
    [InlineData("distributed")]
    [InlineData("head-node")]
    public async Task ServingHelloWorld_PrintsItsUrl_Answers_AndStopsOnSigterm(string mode)
    {
        await using var example = RunningProcess.Start(ExampleProcess.DllOf("examples", "ServingHelloWorld"), $"--port 0 --mode {mode}");
        var url = await example.WaitForLineAsync(line => line.StartsWith("http://127.0.0.1:", StringComparison.Ordinal) && line.EndsWith("/serve/hello", StringComparison.Ordinal));
        await example.WaitForLineAsync(line => line.StartsWith("Try: curl", StringComparison.Ordinal));
        using var client = new HttpClient();

        var reply = await client.PostAsJsonAsync(url, new { foo = "abc", bar = 1 });
        var bad = await client.PostAsJsonAsync(url, new { foo = "abc" });

        (await reply.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("fooLength").GetInt32().Should().Be(3);
        bad.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        example.Signal("TERM");
        (await example.WaitForExitAsync()).Should().Be(0, example.Output);
        example.Output.Should().Contain("Stopped.");
    }

    [Fact]
    public async Task ServingWebApp_HostsTheCluster_ExportsMetricsForPrometheus_ReportsHealth_ServesTheDashboard_AndStopsOnSigterm()
    {
        await using var example = RunningProcess.Start(ExampleProcess.DllOf("examples", "ServingWebApp"), "--urls http://127.0.0.1:0 --PartitionedServing:Port=0");
        var url = (await example.WaitForLineAsync(static line => line.StartsWith("Serving 'hello' at ", StringComparison.Ordinal), TimeSpan.FromSeconds(60)))["Serving 'hello' at ".Length..];
        var operations = await example.WaitForLineAsync(static line => line.StartsWith("Operations at ", StringComparison.Ordinal));
        var app = new Uri(operations["Operations at ".Length..operations.IndexOf(": /metrics", StringComparison.Ordinal)] + "/");
        using var client = new HttpClient();
        for (var i = 0; i < 5; i++)
        {
            (await client.PostAsJsonAsync(url, new { foo = "abc", bar = i })).EnsureSuccessStatusCode();
        }

        var metrics = await client.GetStringAsync(new Uri(app, "metrics"));
        metrics.Should().MatchRegex(@"partitioned_serving_requests_total\{[^}]*partitioned_service_name=""hello""[^}]*\} 5")
            .And.Contain("partitioned_serving_request_duration_seconds_bucket")
            .And.Contain("partitioned_serving_replies_total")
            .And.MatchRegex(@"partitioned_cluster_partitions\{[^}]*partitioned_partition_state=""serving""[^}]*\} 2")
            .And.Contain("partitioned_cluster_attempts_started_total");
        (await client.GetStringAsync(new Uri(app, "health"))).Should().Be("Healthy");
        (await client.GetAsync(new Uri(app, "dashboard/"))).StatusCode.Should().Be(HttpStatusCode.OK);

        example.Signal("TERM");
        (await example.WaitForExitAsync()).Should().Be(0, example.Output);
    }
}
