using System.Net.Http.Json;
using System.Text.Json;
using FluentAssertions.Execution;
using Xunit.Abstractions;

namespace Partitioned.Tests.BadInput;

/// <summary>Runs a corpus against a route and checks every case, reporting all the cases that failed at once.</summary>
internal static class BadInputAssertions
{
    /// <summary>Sends every case to <paramref name="path"/> and checks its status and, for an error, its problem details.</summary>
    /// <returns>The responses of the good cases, by name, for the caller to check what they carry.</returns>
    public static async Task<Dictionary<string, HttpResponseMessage>> RunAsync(HttpClient client, string path, IEnumerable<BadInputCase> corpus, ITestOutputHelper output)
    {
        var good = new Dictionary<string, HttpResponseMessage>();
        using var scope = new AssertionScope();
        foreach (var input in corpus)
        {
            using var request = input.ToRequest(path);
            var response = await client.SendAsync(request);
            var body = await response.Content.ReadAsStringAsync();
            output.WriteLine($"{input.Method} {path} with {input.Name}: {(int)response.StatusCode} {(body.Length > 300 ? body[..300] + "..." : body)}");
            scope.Context = new Lazy<string>(() => $"{input.Method} {path} with {input.Name}");
            ((int)response.StatusCode).Should().Be(input.Status, "of the input ({0}); the reply was {1}", input.Name, body);
            if (input.Status >= 400)
            {
                response.Content.Headers.ContentType?.MediaType.Should().Be("application/problem+json");
                var detail = Detail(body);
                foreach (var mention in input.Mentions)
                {
                    detail.Should().ContainEquivalentOf(mention, "the detail must name the problem");
                }

                if (input.Status == 405)
                {
                    response.Content.Headers.Allow.Should().Contain("POST");
                }
            }
            else
            {
                good[input.Name] = response;
            }
        }

        return good;
    }

    private static string Detail(string body)
    {
        try
        {
            using var problem = JsonDocument.Parse(body);
            return problem.RootElement.TryGetProperty("detail", out var detail) && detail.ValueKind == JsonValueKind.String ? detail.GetString()! : "(no detail)";
        }
        catch (JsonException)
        {
            return $"(not JSON: {body})";
        }
    }

    /// <summary>The JSON body of a good case's reply.</summary>
    public static async Task<T> ReadAsync<T>(this HttpResponseMessage response) => (await response.Content.ReadFromJsonAsync<T>())!;
}
