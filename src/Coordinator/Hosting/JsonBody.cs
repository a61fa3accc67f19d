using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Http;
using Partitioned.Shared;

namespace Partitioned.Coordination;

/// <summary>
/// Reads the JSON body of a control route into a typed value, and turns every way it can be wrong into the reply
/// that says so: 415 for a body that is not declared as JSON, 413 past the limit, 400 naming the problem otherwise
/// (through <see cref="JsonInput"/>, like every body the library reads).
/// </summary>
internal static class JsonBody
{
    /// <summary>The largest control-route body (registrations and failure reports are a few hundred bytes).</summary>
    public const long ControlLimit = 1024 * 1024;

    public static async ValueTask<(T? Value, IResult? Problem)> ReadAsync<T>(HttpRequest request, JsonSerializerOptions options, CancellationToken cancellationToken)
        where T : class
    {
        if (JsonMediaType.Refusal(request.ContentType) is { } refusal)
        {
            return (null, ProblemResponse.UnsupportedMediaType(refusal));
        }

        var body = await RequestBody.ReadAsync(request, ControlLimit, cancellationToken).ConfigureAwait(false);
        try
        {
            if (body.TooLarge)
            {
                return (null, ProblemResponse.TooLarge($"The request body is larger than {ControlLimit} bytes, the limit of control routes."));
            }

            return JsonInput.TryRead(body.Span, (JsonTypeInfo<T>)options.GetTypeInfo(typeof(T)), out var value, out var error)
                ? (value, null)
                : (null, ProblemResponse.BadRequest(error.Describe("request body")));
        }
        finally
        {
            body.Return();
        }
    }
}
