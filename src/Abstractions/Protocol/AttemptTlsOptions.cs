namespace Partitioned.Protocol;

/// <summary>
/// How a worker's partition server gets its TLS certificate; part of <see cref="AttemptLaunchResponse"/> (null in
/// cleartext). The authorities to trust come with the launch variables (<c>PARTITIONED_TLS_CA</c>), before the worker
/// first calls the coordinator.
/// </summary>
/// <param name="Source"><c>coordinator</c>: make a key and have the coordinator sign it (<c>POST /v1/certificates</c>); <c>files</c>: read it from <paramref name="CertificateFile"/>.</param>
/// <param name="CertificateFile">With <c>files</c>: the certificate's path on the worker's machine (<c>{node}</c> replaced by the node name).</param>
/// <param name="KeyFile">With <c>files</c>: the key's path, when it is not in the certificate's file.</param>
public sealed record AttemptTlsOptions(string Source, string? CertificateFile, string? KeyFile)
{
    /// <summary>The coordinator signs a certificate for the attempt's key (automatic TLS).</summary>
    public const string FromCoordinator = "coordinator";

    /// <summary>The certificate is read from files on the worker's machine.</summary>
    public const string FromFiles = "files";
}
