using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Partitioned.Security;

/// <summary>
/// Public certificates (the authorities a cluster trusts) as one line of text: each certificate's DER bytes in Base64,
/// separated by commas. One line fits an environment variable, an sbatch export and a client key's exported form.
/// </summary>
internal static class CertificateText
{
    public static string Encode(IEnumerable<X509Certificate2> certificates) =>
        string.Join(',', certificates.Select(static c => Convert.ToBase64String(c.RawData)));

    /// <summary>Reads <see cref="Encode"/>'s form; false (with <paramref name="certificates"/> empty) when any part is not a certificate.</summary>
    public static bool TryDecode(string? text, out IReadOnlyList<X509Certificate2> certificates)
    {
        certificates = [];
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        var found = new List<X509Certificate2>();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            try
            {
                found.Add(X509CertificateLoader.LoadCertificate(Convert.FromBase64String(part)));
            }
            catch (Exception ex) when (ex is FormatException or CryptographicException)
            {
                foreach (var certificate in found)
                {
                    certificate.Dispose();
                }

                return false;
            }
        }

        certificates = found;
        return found.Count > 0;
    }
}
