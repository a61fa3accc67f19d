using System.Net.Http.Headers;
using System.Text;

namespace Partitioned.Tests.BadInput;

/// <summary>
/// One input of a bad-input corpus and what must come back: the status, and words the problem detail must contain
/// (so the detail names the problem, not only the status). A case with a status below 400 is a good input.
/// </summary>
/// <param name="Name">What the case sends, in words, for the failure message.</param>
/// <param name="Body">The body's bytes; null for no body.</param>
/// <param name="ContentType">The Content-Type header; null for none.</param>
/// <param name="Status">The status that must come back.</param>
/// <param name="Mentions">Words the problem's detail must contain (case-insensitive).</param>
public sealed record BadInputCase(string Name, byte[]? Body, string? ContentType, int Status, params string[] Mentions)
{
    public const string Json = "application/json";

    /// <summary>The request method; POST unless the case is about the method.</summary>
    public HttpMethod Method { get; init; } = HttpMethod.Post;

    /// <summary>A JSON body sent as application/json.</summary>
    public static BadInputCase Of(string name, string json, int status, params string[] mentions) =>
        new(name, Encoding.UTF8.GetBytes(json), Json, status, mentions);

    /// <summary>A body of raw bytes (invalid UTF-8, for one) sent as application/json.</summary>
    public static BadInputCase Bytes(string name, byte[] body, int status, params string[] mentions) =>
        new(name, body, Json, status, mentions);

    public HttpRequestMessage ToRequest(string path)
    {
        var request = new HttpRequestMessage(Method, path);
        if (Body is not null)
        {
            request.Content = new ByteArrayContent(Body);
            if (ContentType is not null)
            {
                request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(ContentType);
            }
        }

        return request;
    }

    public override string ToString() => Name;
}
