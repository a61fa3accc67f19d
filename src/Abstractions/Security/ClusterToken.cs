using System.Net.Http.Headers;
using System.Text;

namespace Partitioned.Security;

/// <summary>
/// The cluster's shared secret. Partitions send it to the coordinator and the driver sends it to the
/// partitions' control routes, always in an <c>Authorization: Bearer</c> header, never in a URL.
/// </summary>
/// <remarks>
/// <see cref="ToString"/> never reveals the value, so a token that ends up in a log message or an
/// exception text by accident stays secret. Comparison is in constant time.
/// </remarks>
public sealed class ClusterToken
{
    private readonly byte[] _utf8;

    private ClusterToken(string value)
    {
        Value = value;
        _utf8 = Encoding.UTF8.GetBytes(value);
    }

    /// <summary>The secret itself. Only for sending it to a peer; never log it.</summary>
    public string Value { get; }

    /// <summary>An <c>Authorization: Bearer</c> header carrying this token: the one way the secret is put on a request.</summary>
    public AuthenticationHeaderValue CreateAuthorizationHeader() => new("Bearer", Value);

    /// <summary>Creates a new random token (256 bits, URL-safe Base64).</summary>
    public static ClusterToken Create() => new(Secrets.NewValue());

    /// <summary>Wraps a token received from the driver (for example by a worker process).</summary>
    /// <exception cref="ArgumentException">The value is empty or shorter than 16 characters.</exception>
    public static ClusterToken FromValue(string value)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(value);
        if (value.Length < 16)
        {
            throw new ArgumentException("A cluster token must be at least 16 characters long.", nameof(value));
        }

        return new ClusterToken(value);
    }

    /// <summary>Compares a presented secret with this token in constant time.</summary>
    public bool Matches(ReadOnlySpan<char> presented) => Secrets.Matches(presented, _utf8);

    /// <summary>Returns a placeholder, never the secret.</summary>
    public override string ToString() => "ClusterToken(redacted)";
}
