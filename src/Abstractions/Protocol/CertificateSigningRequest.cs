namespace Partitioned.Protocol;

/// <summary>
/// Body of <c>POST /v1/certificates</c> (automatic TLS): a partition attempt asks the coordinator to sign a certificate for
/// the key it made. The coordinator signs for the address the request comes from, and for <paramref name="Host"/> only
/// when it is that address or a name that resolves to it, on the driver.
/// </summary>
/// <param name="Partition">The partition index.</param>
/// <param name="Attempt">The attempt number; only the partition's current attempt gets a certificate.</param>
/// <param name="Host">The host the attempt will advertise (an IP address or a name).</param>
/// <param name="Csr">A PKCS#10 certificate signing request in PEM (<c>-----BEGIN CERTIFICATE REQUEST-----</c>), signed with the attempt's key; only its public key is used.</param>
public sealed record CertificateSigningRequest(int Partition, int Attempt, string Host, string Csr);
