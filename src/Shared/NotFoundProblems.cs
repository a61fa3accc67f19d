using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Partitioned.Shared;

/// <summary>
/// Gives a request no route matched a 404 with a problem-details body that lists the routes there are. A middleware,
/// not a fallback route: a fallback would also match a known route called with the wrong method, which must stay
/// routing's 405.
/// </summary>
internal static class NotFoundProblems
{
    /// <summary>Adds the middleware; <paramref name="routes"/> names the routes of this server, for the detail.</summary>
    public static void UseNotFoundProblems(this IApplicationBuilder app, string routes) => app.Use(async (context, next) =>
    {
        await next(context).ConfigureAwait(false);
        if (context.Response.StatusCode == StatusCodes.Status404NotFound && !context.Response.HasStarted && context.GetEndpoint() is null)
        {
            // The path is the caller's: quoted only in part, so a long one does not come back whole.
            var path = context.Request.Path.Value ?? string.Empty;
            path = path.Length > 100 ? string.Concat(path.AsSpan(0, 100), "...") : path;
            await ProblemResponse.NotFound($"No route {context.Request.Method} {path}. Routes: {routes}.").ExecuteAsync(context).ConfigureAwait(false);
        }
    });
}
