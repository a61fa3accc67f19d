using System.Security.Cryptography;
using System.Text;

namespace Partitioned.Security;

/// <summary>What the cluster token and the client keys have in common: how a secret is made and how it is compared.</summary>
internal static class Secrets
{
    private const int RandomBytes = 32;

    /// <summary>A new random secret: 256 bits, URL-safe Base64 without padding.</summary>
    public static string NewValue() =>
        Convert.ToBase64String(RandomNumberGenerator.GetBytes(RandomBytes)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <summary>Compares a presented secret with <paramref name="expectedUtf8"/> in constant time.</summary>
    public static bool Matches(ReadOnlySpan<char> presented, ReadOnlySpan<byte> expectedUtf8)
    {
        var length = Encoding.UTF8.GetByteCount(presented);
        var buffer = length <= 256 ? stackalloc byte[length] : new byte[length];
        Encoding.UTF8.GetBytes(presented, buffer);

        // FixedTimeEquals returns early only on a length mismatch, which reveals nothing useful:
        // every secret this library creates has the same length.
        return CryptographicOperations.FixedTimeEquals(buffer, expectedUtf8);
    }
}
