namespace SearchCluster;

/// <summary>
/// The corpus-wide numbers BM25 needs: how many documents, their total length, and how many documents hold each
/// term. Computed once on the driver over the whole corpus and shipped to every partition as server settings, so
/// each partition scores its documents exactly as a single index over the whole corpus would.
/// </summary>
/// <param name="DocumentCount">Documents in the corpus (N).</param>
/// <param name="TotalLength">Terms in the corpus, repeats included; the average document length is TotalLength / N.</param>
/// <param name="DocumentFrequencies">For each term, how many documents contain it (df).</param>
public sealed record CorpusStatistics(int DocumentCount, long TotalLength, Dictionary<string, int> DocumentFrequencies)
{
    /// <summary>The average document length, in terms.</summary>
    public double AverageLength => DocumentCount == 0 ? 0 : (double)TotalLength / DocumentCount;

    /// <summary>Counts the statistics of <paramref name="documents"/>.</summary>
    public static CorpusStatistics Compute(IEnumerable<Document> documents)
    {
        ArgumentNullException.ThrowIfNull(documents);
        var count = 0;
        var total = 0L;
        var frequencies = new Dictionary<string, int>(StringComparer.Ordinal);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var document in documents)
        {
            count++;
            seen.Clear();
            foreach (var term in Tokenizer.Terms(document.Text))
            {
                total++;
                if (seen.Add(term))
                {
                    frequencies[term] = frequencies.GetValueOrDefault(term) + 1;
                }
            }
        }

        return new CorpusStatistics(count, total, frequencies);
    }
}
