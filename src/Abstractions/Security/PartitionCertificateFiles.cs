namespace Partitioned.Security;

/// <summary>
/// Where each partition finds its TLS certificate on its own machine (<c>TransportSecurity.Tls</c> in Partitioned.Coordination):
/// a certificate per node, or one wildcard certificate for every node. <c>{node}</c> in a path is replaced by the node's
/// name (Slurm's node name, <c>PARTITIONED_NODE</c>, or the machine's name), so <c>/etc/partitioned/{node}.pem</c>
/// names a file per node. The certificate must name the address the partition advertises (an IP address entry, or a DNS
/// entry when <c>PartitionServerOptions.AdvertisedHost</c> is a name) and chain to one of the trusted authorities.
/// The files are read again when they change, so a renewed certificate is served without a re-launch.
/// </summary>
/// <param name="CertificatePath">A PEM file (certificate, and key unless <paramref name="KeyPath"/> is given) or a PKCS#12 file (<c>.pfx</c>, <c>.p12</c>, no password).</param>
/// <param name="KeyPath">The PEM private key, when it is not in the certificate's file; null otherwise.</param>
public sealed record PartitionCertificateFiles(string CertificatePath, string? KeyPath = null);
