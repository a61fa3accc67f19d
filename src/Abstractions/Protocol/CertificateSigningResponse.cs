namespace Partitioned.Protocol;

/// <summary>Reply of <c>POST /v1/certificates</c>: the attempt's certificate, signed by the cluster's authority.</summary>
/// <param name="Certificate">The certificate in PEM (<c>-----BEGIN CERTIFICATE-----</c>).</param>
/// <param name="NotAfter">When it expires; the attempt asks for a new one after half its lifetime.</param>
public sealed record CertificateSigningResponse(string Certificate, DateTimeOffset NotAfter);
