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
}
