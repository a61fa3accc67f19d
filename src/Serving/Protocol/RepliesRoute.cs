using Microsoft.AspNetCore.Http;
using Partitioned.Shared;

namespace Partitioned.Serving;

/// <summary>
/// The one body of both replies routes (<c>POST /v1/serving/replies</c> on the head node, <c>POST
/// /control/serving/replies</c> on a partition): read a batch of answers, hand it over, answer 204; 415, 413 or 400 otherwise.
/// </summary>
internal static class RepliesRoute
{
    public static async Task HandleAsync(HttpContext context, Action<List<WireReply>> complete)
    {
        if (JsonMediaType.Refusal(context.Request.ContentType) is { } refusal)
        {
            await ProblemResponse.WriteAsync(context.Response, StatusCodes.Status415UnsupportedMediaType, "Unsupported media type", refusal).ConfigureAwait(false);
            return;
        }

        var body = await RequestBody.ReadAsync(context.Request, RequestBody.InternalLimit, context.RequestAborted).ConfigureAwait(false);
        try
        {
            if (body.TooLarge)
            {
                await ProblemResponse.WriteAsync(context.Response, StatusCodes.Status413PayloadTooLarge, "Replies too large", $"A batch of replies may be at most {RequestBody.InternalLimit} bytes.").ConfigureAwait(false);
                return;
            }

            if (!JsonInput.TryParse(body.Memory, ServingWire.ReadReplies, out var replies, out var error))
            {
                await ProblemResponse.WriteAsync(context.Response, StatusCodes.Status400BadRequest, "Invalid replies", error.Describe("replies")).ConfigureAwait(false);
                return;
            }

            complete(replies);
            context.Response.StatusCode = StatusCodes.Status204NoContent;
        }
        finally
        {
            body.Return();
        }
    }
}
