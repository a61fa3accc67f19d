using System.Security.Cryptography;
using System.Text;

namespace Partitioned.Security;

/// <summary>
/// Under TLS, the cluster token a driver hands a worker on standard input travels sealed: a launcher such as <c>srun</c>
/// relays standard input over the cluster network in cleartext. The worker makes an ephemeral ECDH P-256 key and writes
/// its public half on standard output (<see cref="RequestPrefix"/>, then the key in Base64); the driver answers on
/// standard input with its own ephemeral public key and the token encrypted with AES-256-GCM under a key both derive
/// (SHA-256 of the shared secret), bound to the worker's public key. Someone reading the network sees two public keys.
/// </summary>
internal static class TokenSeal
{
    /// <summary>The start of the worker's standard output line that asks for the sealed token.</summary>
    public const string RequestPrefix = "PARTITIONED_SEAL ";

    private static readonly byte[] s_context = "partitioned-token-seal-v1"u8.ToArray();

    /// <summary>The worker's half: its key, and the line to write on standard output.</summary>
    public static (ECDiffieHellman Key, string Line) CreateRequest()
    {
        var key = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
        return (key, RequestPrefix + Convert.ToBase64String(key.ExportSubjectPublicKeyInfo()));
    }

    /// <summary>The driver's half: the sealed token for a worker's request line; false when the line is not a valid request.</summary>
    public static bool TrySeal(string requestLine, string token, out string sealedLine)
    {
        sealedLine = string.Empty;
        if (!requestLine.StartsWith(RequestPrefix, StringComparison.Ordinal))
        {
            return false;
        }

        try
        {
            var workerPublic = Convert.FromBase64String(requestLine[RequestPrefix.Length..].Trim());
            using var worker = ECDiffieHellman.Create();
            worker.ImportSubjectPublicKeyInfo(workerPublic, out _);
            using var driver = ECDiffieHellman.Create(ECCurve.NamedCurves.nistP256);
            var secret = driver.DeriveKeyFromHash(worker.PublicKey, HashAlgorithmName.SHA256, s_context, null);
            var nonce = RandomNumberGenerator.GetBytes(AesGcm.NonceByteSizes.MaxSize);
            var plain = Encoding.UTF8.GetBytes(token);
            var cipher = new byte[plain.Length];
            var tag = new byte[AesGcm.TagByteSizes.MaxSize];
            using (var aes = new AesGcm(secret, tag.Length))
            {
                aes.Encrypt(nonce, plain, cipher, tag, workerPublic);
            }

            sealedLine = string.Join(' ', Convert.ToBase64String(driver.ExportSubjectPublicKeyInfo()), Convert.ToBase64String(nonce), Convert.ToBase64String(cipher), Convert.ToBase64String(tag));
            return true;
        }
        catch (Exception ex) when (ex is FormatException or CryptographicException)
        {
            return false;
        }
    }

    /// <summary>The worker's second half: the token inside <paramref name="sealedLine"/>, or null when it cannot be opened.</summary>
    public static string? Open(ECDiffieHellman key, string? sealedLine)
    {
        var parts = sealedLine?.Trim().Split(' ');
        if (parts is not { Length: 4 })
        {
            return null;
        }

        try
        {
            using var driver = ECDiffieHellman.Create();
            driver.ImportSubjectPublicKeyInfo(Convert.FromBase64String(parts[0]), out _);
            var secret = key.DeriveKeyFromHash(driver.PublicKey, HashAlgorithmName.SHA256, s_context, null);
            var nonce = Convert.FromBase64String(parts[1]);
            var cipher = Convert.FromBase64String(parts[2]);
            var tag = Convert.FromBase64String(parts[3]);
            var plain = new byte[cipher.Length];
            using var aes = new AesGcm(secret, tag.Length);
            aes.Decrypt(nonce, cipher, tag, plain, key.ExportSubjectPublicKeyInfo());
            return Encoding.UTF8.GetString(plain);
        }
        catch (Exception ex) when (ex is FormatException or CryptographicException or ArgumentException)
        {
            return null;
        }
    }
}
