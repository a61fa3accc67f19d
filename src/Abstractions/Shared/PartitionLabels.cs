namespace Partitioned.Shared;

/// <summary>
/// The rule for the labels a partition attempt announces when it registers (<c>PartitionContext.Labels</c>), checked
/// by the partition before it registers and again by the coordinator, which must not trust what arrives.
/// </summary>
internal static class PartitionLabels
{
    public const int MaxCount = 32;
    public const int MaxKeyLength = 128;
    public const int MaxValueLength = 4096;

    /// <summary>The key rule, worded for error messages.</summary>
    public const string KeyRule = "1 to 128 ASCII letters, digits, '-', '_', '.' and '/'";

    /// <summary>Every problem with <paramref name="labels"/>, each naming its label; empty when they are valid.</summary>
    public static List<string> Check(IEnumerable<KeyValuePair<string, string>>? labels)
    {
        var problems = new List<string>();
        if (labels is null)
        {
            return problems;
        }

        var count = 0;
        foreach (var (key, value) in labels)
        {
            count++;
            if (key is null || key.Length is 0 or > MaxKeyLength || !key.All(static c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or '/'))
            {
                problems.Add($"label key '{key}' must be {KeyRule}.");
            }
            else if (value is null)
            {
                problems.Add($"label '{key}' has no value (null); use an empty string for a label without one.");
            }
            else if (value.Length > MaxValueLength || value.Any(char.IsControl))
            {
                problems.Add($"label '{key}' must have a value of at most {MaxValueLength} characters without control characters (was {value.Length} characters).");
            }
        }

        if (count > MaxCount)
        {
            problems.Add($"at most {MaxCount} labels may be announced (were {count}).");
        }

        return problems;
    }
}
