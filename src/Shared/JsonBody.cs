using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Partitioned.Shared;

/// <summary>
/// Reads a JSON request body and turns every way it can be wrong into a 400 that says what was wrong,
/// instead of the framework's empty 400 or a silently defaulted field.
/// </summary>
internal static class JsonBody
{
    public static async ValueTask<(T? Value, IResult? Problem)> ReadAsync<T>(HttpRequest request, JsonSerializerOptions options, CancellationToken cancellationToken)
        where T : class
    {
        if (!request.HasJsonContentType())
        {
            return (null, Problems.BadRequest("The request body must be JSON (Content-Type: application/json)."));
        }

        try
        {
            var value = await JsonSerializer.DeserializeAsync<T>(request.Body, options, cancellationToken).ConfigureAwait(false);
            return value is null
                ? (null, Problems.BadRequest("The request body is the JSON literal null; an object was expected."))
                : (value, null);
        }
        catch (JsonException ex)
        {
            return (null, Problems.BadRequest(JsonErrors.Describe(ex)));
        }
    }
}
