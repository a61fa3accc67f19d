using System.Globalization;
using Microsoft.Extensions.Primitives;

namespace Partitioned.Serving;

/// <summary>The partition attempt an answer comes from.</summary>
internal readonly record struct ReplyFrom(int Partition, int Attempt)
{
    /// <summary>Reads the <c>Partitioned-Attempt</c> header (<c>{partition}/{attempt}</c>); null when absent or malformed.</summary>
    public static ReplyFrom? Parse(StringValues header)
    {
        if (header is not [{ } value])
        {
            return null;
        }

        var slash = value.IndexOf('/', StringComparison.Ordinal);
        return slash > 0
            && int.TryParse(value.AsSpan(0, slash), NumberStyles.None, CultureInfo.InvariantCulture, out var partition)
            && int.TryParse(value.AsSpan(slash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var attempt)
            ? new ReplyFrom(partition, attempt)
            : null;
    }

    /// <summary>The header's value.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Partition}/{Attempt}");
}
