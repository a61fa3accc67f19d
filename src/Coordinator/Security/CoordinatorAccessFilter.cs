using Microsoft.AspNetCore.Http;
using Partitioned.Shared;

namespace Partitioned.Coordination;

/// <summary>
/// Guards a group of coordinator routes: 401 without a bearer credential, 403 with a wrong one, and 403 with a client
/// key on a route that needs the cluster token (anything that changes the directory or belongs to workers).
/// </summary>
internal sealed class CoordinatorAccessFilter(CoordinatorAccess access, bool allowClientKeys) : IEndpointFilter
{
    public ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var headers = context.HttpContext.Request.Headers.Authorization;
        var credential = access.Classify(headers.Count == 1 ? headers[0] : null);
        switch (credential)
        {
            case CoordinatorCredential.Missing:
                context.HttpContext.Response.Headers.WWWAuthenticate = "Bearer";
                return Refuse(StatusCodes.Status401Unauthorized, "Unauthorized",
                    allowClientKeys
                        ? "This route needs the cluster token or a client key in an 'Authorization: Bearer <key>' header."
                        : "This route needs the cluster token in an 'Authorization: Bearer <token>' header.");
            case CoordinatorCredential.Invalid:
                return Refuse(StatusCodes.Status403Forbidden, "Forbidden",
                    allowClientKeys ? "The bearer credential is neither this cluster's token nor one of its client keys." : "The bearer token is not this cluster's token.");
            case CoordinatorCredential.ClientKey when !allowClientKeys:
                return Refuse(StatusCodes.Status403Forbidden, "Forbidden",
                    "A client key is read-only: it may list hosts (GET /v1/hosts, /v1/status, /v1/client) and watch the directory over gRPC; this route needs the cluster token.");
            default:
                return next(context);
        }
    }

    private static ValueTask<object?> Refuse(int status, string title, string detail) =>
        ValueTask.FromResult<object?>(ProblemResponse.Result(status, title, detail));
}
