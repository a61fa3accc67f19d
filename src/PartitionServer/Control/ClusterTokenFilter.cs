using Microsoft.AspNetCore.Http;
using Partitioned.Security;
using Partitioned.Shared;

namespace Partitioned.Server;

/// <summary>
/// Guards a route group with the cluster token: 401 when the <c>Authorization: Bearer</c> header is missing
/// or malformed, 403 when the token is wrong. The presented value is never logged or echoed.
/// </summary>
internal sealed class ClusterTokenFilter(ClusterToken token) : IEndpointFilter
{
    private const string Scheme = "Bearer ";

    public ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var headers = context.HttpContext.Request.Headers.Authorization;
        if (headers.Count != 1 || headers[0] is not { } header
            || !header.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase) || header.Length == Scheme.Length)
        {
            context.HttpContext.Response.Headers.WWWAuthenticate = "Bearer";
            return ValueTask.FromResult<object?>(ProblemResponse.Result(
                StatusCodes.Status401Unauthorized,
                "Unauthorized",
                "This route needs the cluster token in an 'Authorization: Bearer <token>' header."));
        }

        if (!token.Matches(header.AsSpan(Scheme.Length).Trim()))
        {
            return ValueTask.FromResult<object?>(ProblemResponse.Result(
                StatusCodes.Status403Forbidden,
                "Forbidden",
                "The bearer token is not this cluster's token."));
        }

        return next(context);
    }
}
