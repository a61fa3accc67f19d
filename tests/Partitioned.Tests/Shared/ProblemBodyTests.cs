using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Partitioned.Shared;

namespace Partitioned.Tests.Shared;

/// <summary>The one problem-details body every surface answers with, and its one <c>type</c> rule.</summary>
public sealed class ProblemBodyTests
{
    [Fact]
    public async Task TypeOf_EveryStatus_IsTheLinkAspNetCoreGivesIt()
    {
        // The statuses ASP.NET Core names, those the library answers, and a few it names none for.
        int[] statuses = [.. Enumerable.Range(400, 32), .. Enumerable.Range(500, 12)];
        foreach (var status in statuses)
        {
            var aspNet = await AspNetCoreTypeAsync(status);

            ProblemBody.TypeOf(status).Should().Be(aspNet, $"status {status} has the type ASP.NET Core's own problem details give it");
        }

        ProblemBody.TypedStatuses.Should().Contain([400, 401, 403, 404, 405, 409, 410, 413, 415, 500, 502, 503, 504]);
    }

    [Fact]
    public void ToJson_WritesTypeTitleStatusDetail_ThenRequestIdAndTraceId()
    {
        using var body = JsonDocument.Parse(ProblemBody.ToJson(503, "Queue full", "The queue of service 'echo' is full.", requestId: "r-1", traceId: "t-1"));

        body.RootElement.EnumerateObject().Select(static p => p.Name).Should().Equal("type", "title", "status", "detail", "requestId", "traceId");
        body.RootElement.GetProperty("type").GetString().Should().Be("https://tools.ietf.org/html/rfc9110#section-15.6.4");
        body.RootElement.GetProperty("status").GetInt32().Should().Be(503);
        body.RootElement.GetProperty("detail").GetString().Should().Be("The queue of service 'echo' is full.");
    }

    [Fact]
    public void ToJson_StatusWithoutAType_LeavesTypeOut()
    {
        using var body = JsonDocument.Parse(ProblemBody.ToJson(429, "Too many requests", "Slow down."));

        body.RootElement.TryGetProperty("type", out _).Should().BeFalse("RFC 9457 reads a missing type as about:blank");
        body.RootElement.TryGetProperty("requestId", out _).Should().BeFalse();
    }

    private static async Task<string?> AspNetCoreTypeAsync(int status)
    {
        var context = new DefaultHttpContext { RequestServices = new ServiceCollection().AddLogging().BuildServiceProvider() };
        context.Response.Body = new MemoryStream();
        await Results.Problem(statusCode: status).ExecuteAsync(context);
        context.Response.Body.Position = 0;
        using var body = await JsonDocument.ParseAsync(context.Response.Body);
        return body.RootElement.TryGetProperty("type", out var type) ? type.GetString() : null;
    }
}
