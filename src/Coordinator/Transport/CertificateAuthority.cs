using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Partitioned.Coordination;

/// <summary>
/// The in-memory certificate authority of automatic TLS (<see cref="TransportSecurity.Automatic"/>): an ECDSA P-256 key
/// that never leaves this process, a self-signed CA certificate every caller pins, and the server certificates it
/// issues: the driver's (its own key, made here) and each partition attempt's (for the public key of the attempt's
/// signing request: the attempt's private key never travels).
/// </summary>
internal sealed class CertificateAuthority : IDisposable
{
    private static readonly Oid s_serverAuthentication = new("1.3.6.1.5.5.7.3.1");

    /// <summary>Certificates start this long before they are issued, so a node whose clock runs a little behind accepts them.</summary>
    private static readonly TimeSpan s_clockSkew = TimeSpan.FromMinutes(5);

    private readonly ECDsa _key;
    private readonly Lock _gate = new();

    private CertificateAuthority(ECDsa key, X509Certificate2 certificate)
    {
        _key = key;
        Certificate = certificate;
    }

    /// <summary>The authority's certificate, without its private key: what callers trust.</summary>
    public X509Certificate2 Certificate { get; }

    /// <summary>Makes a new authority valid from now for <paramref name="lifetime"/>.</summary>
    public static CertificateAuthority Create(DateTimeOffset now, TimeSpan lifetime)
    {
        var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var name = new X500DistinguishedName($"CN=PartitionServer cluster authority {Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4))}");
        var request = new CertificateRequest(name, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: true, hasPathLengthConstraint: true, pathLengthConstraint: 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, critical: true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, critical: false));
        using var withKey = request.CreateSelfSigned(now - s_clockSkew, now + lifetime);
        return new CertificateAuthority(key, X509CertificateLoader.LoadCertificate(withKey.RawData));
    }

    /// <summary>A server certificate with a new private key, for <paramref name="hosts"/> (the driver's own listeners).</summary>
    public X509Certificate2 IssueWithKey(IReadOnlyList<string> hosts, DateTimeOffset now, TimeSpan lifetime)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(Subject(hosts), key, HashAlgorithmName.SHA256);
        using var issued = Issue(request, hosts, now, lifetime);
        using var withKey = issued.CopyWithPrivateKey(key);

        // Through PKCS#12, so the key is usable by TLS on every platform (an ephemeral key is not on Windows).
        return X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), password: null);
    }

    /// <summary>
    /// A server certificate for the public key of <paramref name="request"/>, naming exactly <paramref name="hosts"/>:
    /// whatever names or extensions the request asked for are replaced by the authority's own.
    /// </summary>
    public X509Certificate2 Issue(CertificateRequest request, IReadOnlyList<string> hosts, DateTimeOffset now, TimeSpan lifetime)
    {
        var leaf = new CertificateRequest(Subject(hosts), request.PublicKey, HashAlgorithmName.SHA256);
        leaf.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: false, hasPathLengthConstraint: false, pathLengthConstraint: 0, critical: true));
        leaf.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, critical: true));
        leaf.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([s_serverAuthentication], critical: false));
        leaf.CertificateExtensions.Add(Names(hosts));
        leaf.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(leaf.PublicKey, critical: false));
        leaf.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(Certificate, includeKeyIdentifier: true, includeIssuerAndSerial: false));

        // Never valid past the authority itself: a chain with an expired authority fails anyway, with a worse message.
        var notAfter = now + lifetime < Certificate.NotAfter ? now + lifetime : new DateTimeOffset(Certificate.NotAfter);
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7F;
        lock (_gate)
        {
            return leaf.Create(Certificate.SubjectName, X509SignatureGenerator.CreateForECDsa(_key), now - s_clockSkew, notAfter, serial);
        }
    }

    public void Dispose()
    {
        _key.Dispose();
        Certificate.Dispose();
    }

    /// <summary>The subject alternative names: an IP address entry for each address, a DNS entry for each name.</summary>
    internal static X509Extension Names(IEnumerable<string> hosts)
    {
        var names = new SubjectAlternativeNameBuilder();
        foreach (var host in hosts.Distinct(StringComparer.OrdinalIgnoreCase))
        {
            if (IPAddress.TryParse(host.Trim('[', ']'), out var address))
            {
                names.AddIpAddress(address);
            }
            else
            {
                names.AddDnsName(host);
            }
        }

        return names.Build(critical: false);
    }

    private static X500DistinguishedName Subject(IReadOnlyList<string> hosts)
    {
        var builder = new X500DistinguishedNameBuilder();
        builder.AddCommonName(hosts.Count > 0 ? hosts[0].Trim('[', ']') : "partition");
        return builder.Build();
    }
}
