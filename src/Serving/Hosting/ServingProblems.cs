using Microsoft.AspNetCore.Http;
using Partitioned.Shared;

namespace Partitioned.Serving;

/// <summary>
/// What serving adds to the one problem-details writer (<c>ProblemResponse</c>): refusals counted as a service's
/// replies, the refusal of a name that is no service name, and answers that are JSON already.
/// </summary>
internal static class ServingProblems
{
    extension(ProblemResponse)
    {
        /// <summary>
        /// 404 for a <c>/serve/{name}</c> whose name breaks the name rule (<see cref="SafeName"/>): refused before
        /// anything is counted or forwarded, and without echoing the name whole.
        /// </summary>
        public static Task NotAServiceNameAsync(HttpResponse response, string name) =>
            ProblemResponse.WriteAsync(response, StatusCodes.Status404NotFound, "Unknown service",
                $"'{SafeName.Describe(name)}' is not a service name: service names are {SafeName.Rule}.");

        /// <summary>
        /// Counts a refusal of a request to <c>service</c> as its reply, then writes it. <c>latency</c> is the time since
        /// the request was accepted; null when it was refused before that (bad body, too large, no live partition).
        /// </summary>
        public static Task RefuseAsync(HttpResponse response, string service, int status, string title, string detail, TimeSpan? latency = null, string? requestId = null, TimeSpan? retryAfter = null)
        {
            ServingMetrics.CountReply(service, status, latency);
            return ProblemResponse.WriteAsync(response, status, title, detail, requestId, retryAfter);
        }

        /// <summary>Writes an answer that is already JSON: a handler's reply, or problem details for an error status.</summary>
        public static Task WriteJsonAsync(HttpResponse response, int status, ReadOnlyMemory<byte> json, CancellationToken cancellationToken = default)
        {
            response.StatusCode = status;
            response.ContentType = status >= 400 ? ProblemBody.ContentType : "application/json; charset=utf-8";
            return response.Body.WriteAsync(json, cancellationToken).AsTask();
        }
    }
}
