namespace SearchCluster;

/// <summary>
/// Turns text into index terms: lowercase runs of letters and digits, at least two characters long, without a few
/// English stop words. Documents and queries go through the same code on the driver and in every partition.
/// </summary>
public static class Tokenizer
{
    private static readonly HashSet<string> s_stopWords = new(StringComparer.Ordinal)
    {
        "a", "an", "and", "are", "as", "at", "be", "but", "by", "for", "from", "has", "have", "he", "her", "his", "in", "is", "it", "its",
        "of", "on", "or", "she", "that", "the", "their", "there", "they", "this", "to", "was", "were", "which", "with", "you",
    };

    /// <summary>Every term of <paramref name="text"/>, in order, repeats included.</summary>
    public static IEnumerable<string> Terms(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var start = -1;
        for (var i = 0; i <= text.Length; i++)
        {
            var inWord = i < text.Length && char.IsLetterOrDigit(text[i]);
            if (inWord && start < 0)
            {
                start = i;
            }
            else if (!inWord && start >= 0)
            {
                var term = text[start..i].ToLowerInvariant();
                start = -1;
                if (term.Length >= 2 && !s_stopWords.Contains(term))
                {
                    yield return term;
                }
            }
        }
    }

    /// <summary>The distinct terms of a query, in the order they first appear (each counts once in the score).</summary>
    public static IReadOnlyList<string> QueryTerms(string query) => [.. Terms(query).Distinct(StringComparer.Ordinal)];
}
