using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace Partitioned.Security;

/// <summary>
/// How every client in this library checks a server's certificate under TLS: the certificate must chain to one of the
/// cluster's own authorities (pinned, never the machine's store), be valid now, and name the host the client dialled
/// (a DNS or IP address entry; the subject's common name is not looked at). The platform's own verdict is ignored except
/// for a missing certificate: it checks against the machine's store, which the cluster's authority is not in.
/// </summary>
internal sealed class PinnedTrust
{
    private static readonly System.Security.Cryptography.Oid s_serverAuthentication = new("1.3.6.1.5.5.7.3.1");

    private readonly X509Certificate2Collection _authorities;

    private PinnedTrust(IEnumerable<X509Certificate2> authorities) => _authorities = [.. authorities];

    /// <summary>The trust for <paramref name="authorities"/>, or null for none (cleartext: nothing to check).</summary>
    public static PinnedTrust? For(IReadOnlyList<X509Certificate2>? authorities) =>
        authorities is { Count: > 0 } ? new PinnedTrust(authorities) : null;

    /// <summary>A new handler that checks servers' certificates against <paramref name="authorities"/> (a plain one for none).</summary>
    public static SocketsHttpHandler CreateHandler(IReadOnlyList<X509Certificate2>? authorities) => Apply(new SocketsHttpHandler(), authorities);

    /// <summary>Makes <paramref name="handler"/> check servers' certificates against <paramref name="authorities"/>; none leaves it as it is.</summary>
    public static SocketsHttpHandler Apply(SocketsHttpHandler handler, IReadOnlyList<X509Certificate2>? authorities)
    {
        if (For(authorities) is { } trust)
        {
            handler.SslOptions.RemoteCertificateValidationCallback = trust.Validate;
        }

        return handler;
    }

    /// <summary>The check itself, as a <see cref="RemoteCertificateValidationCallback"/>.</summary>
    public bool Validate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (certificate is null || errors.HasFlag(SslPolicyErrors.RemoteCertificateNotAvailable))
        {
            return false;
        }

        var host = sender switch
        {
            SslStream stream => stream.TargetHostName,
            HttpRequestMessage request => request.RequestUri?.IdnHost,
            _ => null,
        };
        var leaf = certificate as X509Certificate2 ?? new X509Certificate2(certificate);
        try
        {
            return Accepts(leaf, host, chain);
        }
        finally
        {
            if (!ReferenceEquals(leaf, certificate))
            {
                leaf.Dispose();
            }
        }
    }

    /// <summary>True when <paramref name="leaf"/> chains to one of the authorities, is valid now and names <paramref name="host"/>.</summary>
    /// <param name="leaf">The server's certificate.</param>
    /// <param name="host">The host the client dialled (a name or an IP literal, brackets allowed).</param>
    /// <param name="presented">The chain the platform built from what the server sent, for its intermediates; may be null.</param>
    public bool Accepts(X509Certificate2 leaf, string? host, X509Chain? presented = null)
    {
        if (string.IsNullOrEmpty(host))
        {
            return false;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(_authorities);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.DisableCertificateDownloads = true;
        chain.ChainPolicy.ApplicationPolicy.Add(s_serverAuthentication);
        if (presented is not null)
        {
            foreach (var element in presented.ChainElements)
            {
                if (!element.Certificate.RawDataMemory.Span.SequenceEqual(leaf.RawDataMemory.Span))
                {
                    chain.ChainPolicy.ExtraStore.Add(element.Certificate);
                }
            }
        }

        return chain.Build(leaf) && leaf.MatchesHostname(host.Trim('[', ']'), allowWildcards: true, allowCommonName: false);
    }
}
