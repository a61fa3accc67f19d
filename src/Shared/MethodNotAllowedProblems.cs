using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Partitioned.Shared;

/// <summary>
/// Gives routing's bare 405 (a known route, another method) a problem-details body that names the methods the
/// route takes; routing has already set the <c>Allow</c> header, which stays.
/// </summary>
internal static class MethodNotAllowedProblems
{
    /// <summary>Adds the middleware; place it after the other middleware, nearest to the endpoints.</summary>
    public static void UseMethodNotAllowedProblems(this IApplicationBuilder app) => app.Use(static async (context, next) =>
    {
        await next(context).ConfigureAwait(false);
        var response = context.Response;
        if (response.StatusCode != StatusCodes.Status405MethodNotAllowed || response.HasStarted)
        {
            return;
        }

        var allow = response.Headers.Allow.ToString();
        var request = context.Request;
        var detail = allow.Length == 0
            ? $"{request.Method} is not allowed on {request.Path}."
            : $"{request.Method} is not allowed on {request.Path}; it takes {allow}.";
        await ProblemResponse.Result(StatusCodes.Status405MethodNotAllowed, "Method not allowed", detail).ExecuteAsync(context).ConfigureAwait(false);
    });
}
