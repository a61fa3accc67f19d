using System.Text;

namespace Partitioned.Shared;

/// <summary>
/// The one rule for names that travel in URLs and command lines (server and service names, and every path segment the
/// library forwards), and the one way upstream URIs are built from them. A name that breaks the rule is refused at every
/// way in (404, never forwarded) and at definition time; a URI is never made by resolving a string that holds one.
/// </summary>
internal static class SafeName
{
    /// <summary>The longest name.</summary>
    public const int MaxLength = 128;

    private static readonly System.Buffers.SearchValues<char> s_allowed =
        System.Buffers.SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.");

    /// <summary>The rule, worded for error messages.</summary>
    public const string Rule = "1 to 128 ASCII letters, digits, '-', '_' and '.' (and not '.' or '..')";

    /// <summary>
    /// True when <paramref name="name"/> follows <see cref="Rule"/>: nothing a URI would read as a separator, an escape,
    /// a query, a fragment or a dot segment (System.Uri turns '\' into '/' and resolves ".."), and a bounded length.
    /// </summary>
    public static bool IsValid(ReadOnlySpan<char> name)
    {
        if (name.Length is 0 or > MaxLength || name is "." or "..")
        {
            return false;
        }

        return !name.ContainsAnyExcept(s_allowed);
    }

    /// <inheritdoc cref="IsValid(ReadOnlySpan{char})"/>
    public static bool IsValid(string? name) => name is not null && IsValid(name.AsSpan());

    /// <summary>What is wrong with <paramref name="name"/>, worded to follow "is" or "has" in a message; null when it is valid.</summary>
    public static string? Problem(string? name)
    {
        if (name is null || name.Length == 0)
        {
            return "is empty";
        }

        if (name.Length > MaxLength)
        {
            return $"is {name.Length} characters long, more than {MaxLength}";
        }

        if (name is "." or "..")
        {
            return "is a dot segment, which a URI would resolve away";
        }

        var bad = name.AsSpan().IndexOfAnyExcept(s_allowed);
        return bad < 0 ? null : $"has {(char.IsControl(name[bad]) ? $"U+{(int)name[bad]:X4}" : $"'{name[bad]}'")} at position {bad}, which is not allowed";
    }

    /// <summary>
    /// A name as it may appear in an error message: itself when it follows the rule, otherwise a bounded, printable
    /// excerpt (a caller's overlong or binary name is not echoed whole).
    /// </summary>
    public static string Describe(string? name)
    {
        if (name is null || IsValid(name))
        {
            return name ?? string.Empty;
        }

        var builder = new StringBuilder(Math.Min(name.Length, 40) + 3);
        foreach (var c in name.AsSpan(0, Math.Min(name.Length, 40)))
        {
            builder.Append(char.IsControl(c) ? '?' : c);
        }

        return name.Length > 40 ? builder.Append("...").ToString() : builder.ToString();
    }

    /// <summary>
    /// <paramref name="endpoint"/>'s scheme, host, port and path, followed by <paramref name="segments"/>, each checked
    /// against the rule. Nothing is resolved: the result names exactly these segments under the endpoint.
    /// </summary>
    /// <exception cref="ArgumentException">A segment breaks the rule (a bug: callers pass names checked at their way in).</exception>
    public static Uri Append(Uri endpoint, params ReadOnlySpan<string> segments)
    {
        var path = new StringBuilder(endpoint.AbsolutePath.TrimEnd('/'));
        foreach (var segment in segments)
        {
            if (!IsValid(segment))
            {
                throw new ArgumentException($"'{Describe(segment)}' is not a path segment this library forwards: it must be {Rule}.", nameof(segments));
            }

            path.Append('/').Append(segment);
        }

        return new UriBuilder(endpoint) { Path = path.ToString(), Query = string.Empty, Fragment = string.Empty }.Uri;
    }
}
