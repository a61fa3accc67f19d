using System.Text;

namespace Partitioned.Coordination;

/// <summary>
/// A read-only key a cluster issues to clients in other processes: its holder may list the partitions and their
/// endpoints (<c>GET /v1/hosts</c>, <c>GET /v1/status</c>, <c>GET /v1/client</c>) and follow the directory over gRPC,
/// and call the partitions' <c>/app</c> and <c>/serve</c> routes, but never register, report failures, shut a
/// partition down or use a worker route (those answer 403). Sent in an <c>Authorization: Bearer</c> header (gRPC:
/// <c>authorization</c> metadata), never in a URL.
/// </summary>
/// <remarks>
/// <see cref="ToString"/> never reveals the value, so a key that ends up in a log message stays secret. Comparison
/// is in constant time. Unlike the <see cref="ClusterToken"/>, a client key may be handed out: it grants no control.
/// </remarks>
public sealed class ClientKey
{
    private readonly byte[] _utf8;

    private ClientKey(string value)
    {
        Value = value;
        _utf8 = Encoding.UTF8.GetBytes(value);
    }

    /// <summary>The key itself, to hand to a client. Never log it.</summary>
    public string Value { get; }

    /// <summary>Creates a new random key (256 bits, URL-safe Base64).</summary>
    public static ClientKey Create() => new(Secrets.NewValue());

    /// <summary>Wraps a key chosen elsewhere (for example, read from configuration).</summary>
    /// <exception cref="ArgumentException">The value is empty, shorter than 16 characters, or has whitespace or control characters.</exception>
    public static ClientKey FromValue(string value)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(value);
        if (value.Length < 16 || value.Any(static c => char.IsWhiteSpace(c) || char.IsControl(c)))
        {
            throw new ArgumentException("A client key must be at least 16 characters long, without whitespace or control characters.", nameof(value));
        }

        return new ClientKey(value);
    }

    /// <summary>Compares a presented secret with this key in constant time.</summary>
    public bool Matches(ReadOnlySpan<char> presented) => Secrets.Matches(presented, _utf8);

    /// <summary>Returns a placeholder, never the key.</summary>
    public override string ToString() => "ClientKey(redacted)";
}
