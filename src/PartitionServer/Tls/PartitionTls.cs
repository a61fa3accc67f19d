using System.Security.Cryptography.X509Certificates;
using Partitioned.Security;

namespace Partitioned.Server;

/// <summary>
/// How a partition attempt uses TLS (part of its <see cref="PartitionLaunch"/>; null there means cleartext): the
/// authorities it trusts when it calls the coordinator, other partitions or the head node, and where its own server
/// certificate comes from.
/// </summary>
/// <param name="TrustedAuthorities">The cluster's certificate authorities: the only ones trusted, never the machine's store.</param>
public sealed record PartitionTls(IReadOnlyList<X509Certificate2> TrustedAuthorities)
{
    /// <summary>
    /// Files holding the attempt's certificate on its machine (<c>TransportSecurity.Tls</c> with partition certificate files);
    /// null (automatic TLS): the attempt makes a key and the coordinator signs a short-lived certificate for it, renewed after half its lifetime.
    /// </summary>
    public PartitionCertificateFiles? CertificateFiles { get; init; }
}
