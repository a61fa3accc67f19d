using System.Net.Sockets;

namespace Partitioned.Routing;

/// <summary>When a request that failed may be sent again to another replica: the one rule every client-side resend follows.</summary>
internal static class ResendRules
{
    /// <summary>True when no connection was made, so the request was certainly not sent and is safe to send elsewhere.</summary>
    public static bool IsConnectFailure(HttpRequestException exception) =>
        exception.HttpRequestError == HttpRequestError.ConnectionError
        || exception.InnerException is SocketException { SocketErrorCode: SocketError.ConnectionRefused };

    /// <summary>
    /// True when the handler gave up connecting (its connect timeout: a peer that drops packets never refuses): the
    /// request was not sent either.
    /// </summary>
    public static bool IsConnectTimeout(Exception exception) =>
        exception is OperationCanceledException { InnerException: TimeoutException } or HttpRequestException { InnerException: OperationCanceledException { InnerException: TimeoutException } };

    /// <summary>A body held in memory (or JSON serialised again on each send) can be sent again; a stream may have been read already.</summary>
    public static bool HasResendableBody(HttpRequestMessage request) =>
        request.Content is null or ByteArrayContent or ReadOnlyMemoryContent or System.Net.Http.Json.JsonContent;

    /// <summary>
    /// The registration label naming a partition replica's idempotent services (<c>ServiceOptions.Idempotent</c>),
    /// comma-separated (service names have no commas): balancers know them from the directory before any answer.
    /// </summary>
    public const string IdempotentLabel = "partitioned.serving/idempotent";

    /// <summary>True when a replica's <paramref name="labels"/> announce <paramref name="service"/> as idempotent.</summary>
    public static bool AnnouncesIdempotent(IReadOnlyDictionary<string, string> labels, string service) =>
        labels.TryGetValue(IdempotentLabel, out var services) && services.Split(',').Contains(service, StringComparer.Ordinal);

    /// <summary>The service a balanced request calls (<c>serve/{name}</c>), or null for any other route.</summary>
    public static string? ServiceOf(string relativePath)
    {
        const string prefix = "serve/";
        if (!relativePath.StartsWith(prefix, StringComparison.Ordinal))
        {
            return null;
        }

        var name = relativePath.AsSpan(prefix.Length);
        var end = name.IndexOfAny('/', '?');
        return (end < 0 ? name : name[..end]).ToString();
    }

    /// <summary>
    /// A copy of <paramref name="request"/> addressed to <paramref name="uri"/>, sharing its body (one that can be sent
    /// again can be sent twice at once): a hedge cannot reuse a message another try is sending.
    /// </summary>
    public static HttpRequestMessage CopyFor(HttpRequestMessage request, Uri uri)
    {
        var copy = new HttpRequestMessage(request.Method, uri)
        {
            Content = request.Content,
            Version = request.Version,
            VersionPolicy = request.VersionPolicy,
        };
        foreach (var header in request.Headers)
        {
            copy.Headers.TryAddWithoutValidation(header.Key, header.Value);
        }

        return copy;
    }

    /// <summary>The HTTP methods that are idempotent by definition.</summary>
    public static bool IsIdempotentMethod(HttpMethod method) =>
        method == HttpMethod.Get || method == HttpMethod.Head || method == HttpMethod.Put || method == HttpMethod.Delete || method == HttpMethod.Options;
}
