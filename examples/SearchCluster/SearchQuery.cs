using System.Globalization;

namespace SearchCluster;

/// <summary>Checks the <c>q</c> and <c>k</c> of a search request, for the partitions' route and the driver's alike.</summary>
public static class SearchQuery
{
    /// <summary>The most hits one query may ask for.</summary>
    public const int MaxK = 100;

    /// <summary>Hits returned when <c>k</c> is not given.</summary>
    public const int DefaultK = 10;

    /// <summary>Reads a request; returns null when it is valid, otherwise what is wrong with it.</summary>
    public static string? Validate(string? q, string? k, out IReadOnlyList<string> terms, out int top)
    {
        terms = [];
        top = DefaultK;
        if (string.IsNullOrWhiteSpace(q))
        {
            return "q is required: the words to search for, as in /search?q=solar+wind&k=10.";
        }

        if (k is not null && (!int.TryParse(k, NumberStyles.None, CultureInfo.InvariantCulture, out top) || top is < 1 or > MaxK))
        {
            return $"k must be a whole number from 1 to {MaxK} (was '{k}').";
        }

        terms = Tokenizer.QueryTerms(q);
        return terms.Count == 0
            ? $"q '{q}' has no searchable words: words of two or more letters or digits that are not stop words such as 'the'."
            : null;
    }
}
