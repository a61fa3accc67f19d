using System.Text;

namespace Partitioned.Tests.BadInput;

/// <summary>Builds the bodies of the bad-input corpora: invalid UTF-8, deep nesting, bodies of an exact size.</summary>
internal static class BadBodies
{
    /// <summary>Nesting far past any parser's depth limit.</summary>
    public const int DeepNesting = 10_000;

    public static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);

    /// <summary><paramref name="before"/>, then raw <paramref name="bytes"/> (not UTF-8 on their own), then <paramref name="after"/>.</summary>
    public static byte[] Splice(string before, byte[] bytes, string after) => [.. Utf8(before), .. bytes, .. Utf8(after)];

    /// <summary><paramref name="depth"/> nested arrays.</summary>
    public static string Nested(int depth = DeepNesting) => new string('[', depth) + new string(']', depth);

    /// <summary>
    /// <paramref name="json"/>, a JSON object, padded with spaces before its closing brace to exactly
    /// <paramref name="size"/> bytes: still the same valid JSON.
    /// </summary>
    public static byte[] PaddedTo(string json, long size)
    {
        var bytes = Utf8(json);
        if (bytes.Length > size || json[^1] != '}')
        {
            throw new ArgumentException($"'{json}' is not an object that fits in {size} bytes.", nameof(json));
        }

        var padded = new byte[size];
        bytes.AsSpan(0, bytes.Length - 1).CopyTo(padded);
        padded.AsSpan(bytes.Length - 1, (int)(size - bytes.Length)).Fill((byte)' ');
        padded[^1] = (byte)'}';
        return padded;
    }
}
