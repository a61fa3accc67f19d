using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Partitioned.Security;

/// <summary>Reads the certificates a user gives in files: a server certificate with its key (PEM or PKCS#12), or public certificates to trust (PEM).</summary>
internal static class CertificateFiles
{
    /// <summary>A certificate with its private key: a <c>.pfx</c>/<c>.p12</c> file (no password), or PEM with the key in <paramref name="keyPath"/> or in the same file.</summary>
    /// <exception cref="InvalidOperationException">The files cannot be read, or hold no certificate with a private key; the message names the file.</exception>
    public static X509Certificate2 LoadServerCertificate(string certificatePath, string? keyPath)
    {
        try
        {
            var isPkcs12 = certificatePath.EndsWith(".pfx", StringComparison.OrdinalIgnoreCase) || certificatePath.EndsWith(".p12", StringComparison.OrdinalIgnoreCase);
            using var loaded = isPkcs12
                ? X509CertificateLoader.LoadPkcs12FromFile(certificatePath, password: null)
                : X509Certificate2.CreateFromPemFile(certificatePath, keyPath);
            if (!loaded.HasPrivateKey)
            {
                throw new InvalidOperationException($"The certificate in {certificatePath} comes without its private key; give the key (in the same file, or as the key file).");
            }

            // Through PKCS#12, so the key is usable by TLS on every platform (a PEM key is ephemeral, which Windows refuses).
            return X509CertificateLoader.LoadPkcs12(loaded.Export(X509ContentType.Pkcs12), password: null);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or CryptographicException or ArgumentException)
        {
            throw new InvalidOperationException($"The certificate {certificatePath}{(keyPath is null ? string.Empty : $" (key {keyPath})")} cannot be read: {ex.Message}", ex);
        }
    }

    /// <summary>Every certificate in a PEM file (the authorities to trust).</summary>
    /// <exception cref="InvalidOperationException">The file cannot be read or holds no certificate.</exception>
    public static IReadOnlyList<X509Certificate2> LoadPublicCertificates(string path)
    {
        var collection = new X509Certificate2Collection();
        try
        {
            collection.ImportFromPemFile(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or CryptographicException or ArgumentException)
        {
            throw new InvalidOperationException($"The certificates in {path} cannot be read: {ex.Message}", ex);
        }

        return collection.Count > 0 ? [.. collection] : throw new InvalidOperationException($"{path} holds no PEM certificate (-----BEGIN CERTIFICATE-----).");
    }

    /// <summary>The path of a partition's file on its machine: <c>{node}</c> replaced by the node's name.</summary>
    public static string ForNode(string template, string node) => template.Replace("{node}", node, StringComparison.Ordinal);
}
