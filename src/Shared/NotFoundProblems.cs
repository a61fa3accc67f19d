using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

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
        if (IsUnrouted(context))
        {
            await WriteAsync(context, routes).ConfigureAwait(false);
        }
    });

    /// <summary>
    /// Adds the middleware, listing the routes the application maps (<c>METHOD /pattern</c>, from its endpoint data
    /// source), so the list follows every route a module adds. Read at the first 404: by then every route is mapped.
    /// </summary>
    public static void UseNotFoundProblems(this IApplicationBuilder app)
    {
        string? routes = null;
        app.Use(async (context, next) =>
        {
            await next(context).ConfigureAwait(false);
            if (IsUnrouted(context))
            {
                routes ??= Describe(context.RequestServices.GetRequiredService<EndpointDataSource>());
                await WriteAsync(context, routes).ConfigureAwait(false);
            }
        });
    }

    /// <summary>The routes of <paramref name="endpoints"/>, as <c>GET /v1/hosts, POST /v1/register, ...</c>, in the order they were mapped.</summary>
    internal static string Describe(EndpointDataSource endpoints) => string.Join(", ", endpoints.Endpoints
        .OfType<RouteEndpoint>()
        .SelectMany(static e => (e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? ["*"])
            .Select(method => $"{method} /{e.RoutePattern.RawText?.TrimStart('/')}"))
        .Distinct(StringComparer.Ordinal));

    private static bool IsUnrouted(HttpContext context) =>
        context.Response.StatusCode == StatusCodes.Status404NotFound && !context.Response.HasStarted && context.GetEndpoint() is null;

    private static Task WriteAsync(HttpContext context, string routes)
    {
        // The path is the caller's: quoted only in part, so a long one does not come back whole.
        var path = context.Request.Path.Value ?? string.Empty;
        path = path.Length > 100 ? string.Concat(path.AsSpan(0, 100), "...") : path;
        return ProblemResponse.NotFound($"No route {context.Request.Method} {path}. Routes: {routes}.").ExecuteAsync(context);
    }
}
