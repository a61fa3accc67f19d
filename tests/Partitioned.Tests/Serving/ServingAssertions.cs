using System.Net.Http.Json;
using System.Text.Json;

namespace Partitioned.Tests.Serving;

internal static class ServingAssertions
{
    /// <summary>Reads a problem-details body and returns its detail, checking the media type.</summary>
    public static async Task<string> ProblemDetailAsync(this HttpResponseMessage response)
    {
        response.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        return problem.GetProperty("detail").GetString()!;
    }

    /// <summary>The detail and the request id (correlation id) of a problem-details body.</summary>
    public static async Task<(string Detail, string? RequestId)> ProblemAsync(this HttpResponseMessage response)
    {
        response.Content.Headers.ContentType!.MediaType.Should().Be("application/problem+json");
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        return (problem.GetProperty("detail").GetString()!, problem.TryGetProperty("requestId", out var id) ? id.GetString() : null);
    }

    public static StringContent Json(string json) => new(json, System.Text.Encoding.UTF8, "application/json");
}
