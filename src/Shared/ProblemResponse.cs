using System.Diagnostics;
using System.Globalization;
using Microsoft.AspNetCore.Http;

namespace Partitioned.Shared;

/// <summary>
/// Writes the library's one problem-details reply (RFC 9457, the body and its <c>type</c> rule in
/// <see cref="ProblemBody"/>): straight to a response (serving's hot paths, with the request id and a
/// <c>Retry-After</c>), or as an <see cref="IResult"/> for route handlers and filters, which also carries the request's
/// trace id. Every surface answers its errors through it.
/// </summary>
internal static class ProblemResponse
{
    /// <summary>Writes a problem reply to <paramref name="response"/>.</summary>
    public static Task WriteAsync(HttpResponse response, int status, string title, string detail, string? requestId = null, TimeSpan? retryAfter = null) =>
        WriteCoreAsync(response, status, ProblemBody.ToJson(status, title, detail, requestId), retryAfter);

    /// <summary>The bytes of a problem reply, for an answer sent on later (a partition's reply relayed by the head node).</summary>
    public static byte[] ToJson(int status, string title, string detail, string? requestId) => ProblemBody.ToJson(status, title, detail, requestId);

    /// <summary>A problem reply as a route handler's or filter's result; it carries the request's trace id.</summary>
    public static IResult Result(int status, string title, string detail) => new ProblemResult(status, title, detail);

    public static IResult BadRequest(string detail) => Result(StatusCodes.Status400BadRequest, "Bad request", detail);

    public static IResult Conflict(string detail) => Result(StatusCodes.Status409Conflict, "Conflict", detail);

    public static IResult Gone(string detail) => Result(StatusCodes.Status410Gone, "Gone", detail);

    public static IResult NotFound(string detail) => Result(StatusCodes.Status404NotFound, "Not found", detail);

    public static IResult TooLarge(string detail) => Result(StatusCodes.Status413PayloadTooLarge, "Request too large", detail);

    public static IResult UnsupportedMediaType(string detail) => Result(StatusCodes.Status415UnsupportedMediaType, "Unsupported media type", detail);

    private static Task WriteCoreAsync(HttpResponse response, int status, byte[] body, TimeSpan? retryAfter)
    {
        response.StatusCode = status;
        response.ContentType = ProblemBody.ContentType;
        if (retryAfter is { } delay)
        {
            response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(delay.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        }

        return response.Body.WriteAsync(body).AsTask();
    }

    private sealed class ProblemResult(int status, string title, string detail) : IResult, IStatusCodeHttpResult
    {
        public int? StatusCode => status;

        // The trace id as ASP.NET Core's own problem details give it: the current activity's, else the request's identifier.
        public Task ExecuteAsync(HttpContext httpContext) => WriteCoreAsync(
            httpContext.Response,
            status,
            ProblemBody.ToJson(status, title, detail, traceId: Activity.Current?.Id ?? httpContext.TraceIdentifier),
            retryAfter: null);
    }
}
