namespace Partitioned.Shared;

/// <summary>The rule for names that travel in URLs and command lines (server and service names).</summary>
internal static class SafeName
{
    /// <summary>The rule, worded for error messages.</summary>
    public const string Rule = "ASCII letters, digits, '-', '_' and '.'";

    /// <summary>True when <paramref name="name"/> is not empty and uses only <see cref="Rule"/>'s characters.</summary>
    public static bool IsValid(string name) =>
        name.Length > 0 && name.All(static c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.');
}
