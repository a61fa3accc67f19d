using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Partitioned.Security;

/// <summary>
/// A read-only key a cluster issues to clients in other processes: its holder may list the partitions and their
/// endpoints (<c>GET /v1/hosts</c>, <c>GET /v1/status</c>, <c>GET /v1/client</c>) and follow the directory over gRPC,
/// and call the partitions' <c>/app</c> and <c>/serve</c> routes, but never register, report failures, shut a
/// partition down or use a worker route (those answer 403). Sent in an <c>Authorization: Bearer</c> header (gRPC:
/// <c>authorization</c> metadata), never in a URL.
/// </summary>
/// <remarks>
/// <see cref="ToString"/> never reveals the value, so a key that ends up in a log message stays secret. Comparison
/// is in constant time. Unlike the cluster token, a client key may be handed out: it grants no control. Under TLS a
/// client also needs the authorities the cluster's certificates chain to: <see cref="WithTrustedAuthorities"/> attaches
/// them, and <see cref="Export"/> gives key and authorities as one line to hand over (read back with <see cref="Parse"/>).
/// </remarks>
public sealed class ClientKey
{
    private readonly byte[] _utf8;

    private ClientKey(string value, IReadOnlyList<X509Certificate2>? trustedAuthorities = null)
    {
        Value = value;
        _utf8 = Encoding.UTF8.GetBytes(value);
        TrustedAuthorities = trustedAuthorities ?? [];
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

    /// <summary>
    /// The certificate authorities a client of a TLS cluster trusts (public certificates): the cluster's own, never the
    /// machine's store. Empty for a cleartext cluster (or one whose certificates the machine already trusts).
    /// </summary>
    public IReadOnlyList<X509Certificate2> TrustedAuthorities { get; }

    /// <summary>The same key, carrying <paramref name="authorities"/> (a TLS cluster's <c>Transport.TrustedAuthorities</c>) for its client to trust.</summary>
    public ClientKey WithTrustedAuthorities(IEnumerable<X509Certificate2> authorities)
    {
        ArgumentNullException.ThrowIfNull(authorities);
        var list = authorities.ToList();
        return list.Any(static a => a is null) ? throw new ArgumentException("An authority is null.", nameof(authorities)) : new ClientKey(Value, list);
    }

    /// <summary>
    /// The key and its trusted authorities as one line, to hand to a client (an environment variable, a secret store):
    /// the key, then, when there are authorities, a space and their certificates (DER in Base64, comma-separated). It holds
    /// the key: treat it as a secret. <see cref="Parse"/> reads it back.
    /// </summary>
    public string Export() => TrustedAuthorities.Count == 0 ? Value : $"{Value} {CertificateText.Encode(TrustedAuthorities)}";

    /// <summary>Reads a key exported by <see cref="Export"/> (or a bare key value).</summary>
    /// <exception cref="ArgumentException">It is not a key, or its authorities are not certificates.</exception>
    public static ClientKey Parse(string exported)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(exported);
        var parts = exported.Split((char[]?)null, 2, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var key = FromValue(parts[0]);
        if (parts.Length == 1)
        {
            return key;
        }

        return CertificateText.TryDecode(parts[1], out var authorities)
            ? new ClientKey(key.Value, authorities)
            : throw new ArgumentException("The exported key's trusted authorities are not certificates (DER in Base64, comma-separated, after the key and a space).", nameof(exported));
    }

    /// <summary>Compares a presented secret with this key in constant time.</summary>
    public bool Matches(ReadOnlySpan<char> presented) => Secrets.Matches(presented, _utf8);

    /// <summary>Returns a placeholder, never the key.</summary>
    public override string ToString() => "ClientKey(redacted)";
}
