namespace SearchCluster;

/// <summary>
/// An inverted index over some documents (one partition, or a whole corpus), scored with Okapi BM25:
/// score(D, Q) = sum over the query's terms t of idf(t) * tf * (k1 + 1) / (tf + k1 * (1 - b + b * |D| / avgdl)),
/// with idf(t) = ln(1 + (N - df + 0.5) / (df + 0.5)). N, avgdl and df come from the statistics passed to
/// <see cref="Search"/>: the whole corpus's, so a document's score does not depend on which partition holds it.
/// </summary>
public sealed class Bm25Index
{
    private readonly Dictionary<string, List<(int Document, int Frequency)>> _postings = new(StringComparer.Ordinal);
    private readonly List<string> _ids = [];
    private readonly List<string> _titles = [];
    private readonly List<int> _lengths = [];
    private long _totalLength;

    /// <summary>Documents indexed.</summary>
    public int DocumentCount => _ids.Count;

    /// <summary>Distinct terms.</summary>
    public int TermCount => _postings.Count;

    /// <summary>(term, document) pairs.</summary>
    public long PostingCount { get; private set; }

    /// <summary>The statistics of just these documents (what a single index over the whole corpus uses).</summary>
    public CorpusStatistics LocalStatistics =>
        new(DocumentCount, _totalLength, _postings.ToDictionary(static p => p.Key, static p => p.Value.Count, StringComparer.Ordinal));

    /// <summary>Indexes <paramref name="documents"/>.</summary>
    public static Bm25Index Build(IEnumerable<Document> documents)
    {
        ArgumentNullException.ThrowIfNull(documents);
        var index = new Bm25Index();
        foreach (var document in documents)
        {
            index.Add(document);
        }

        return index;
    }

    /// <summary>Indexes <paramref name="documents"/> as they stream in.</summary>
    public static async Task<Bm25Index> BuildAsync(IAsyncEnumerable<Document> documents, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(documents);
        var index = new Bm25Index();
        await foreach (var document in documents.WithCancellation(cancellationToken))
        {
            index.Add(document);
        }

        return index;
    }

    /// <summary>The best <paramref name="k"/> documents for the query's terms, scored under <paramref name="settings"/>' statistics.</summary>
    public IReadOnlyList<SearchHit> Search(IReadOnlyList<string> terms, int k, SearchSettings settings)
    {
        ArgumentNullException.ThrowIfNull(terms);
        ArgumentNullException.ThrowIfNull(settings);
        var statistics = settings.Statistics;
        var averageLength = statistics.AverageLength;
        var scores = new Dictionary<int, double>();
        foreach (var term in terms)
        {
            var df = statistics.DocumentFrequencies.GetValueOrDefault(term);
            if (df <= 0 || !_postings.TryGetValue(term, out var postings))
            {
                continue;
            }

            var idf = Math.Log(1 + ((statistics.DocumentCount - df + 0.5) / (df + 0.5)));
            foreach (var (document, frequency) in postings)
            {
                var normalised = frequency + (settings.K1 * (1 - settings.B + (settings.B * _lengths[document] / averageLength)));
                scores[document] = scores.GetValueOrDefault(document) + (idf * frequency * (settings.K1 + 1) / normalised);
            }
        }

        return SearchHit.TopK(scores.Select(s => new SearchHit(_ids[s.Key], _titles[s.Key], s.Value)), k);
    }

    private void Add(Document document)
    {
        var number = _ids.Count;
        var frequencies = new Dictionary<string, int>(StringComparer.Ordinal);
        var length = 0;
        foreach (var term in Tokenizer.Terms(document.Text))
        {
            frequencies[term] = frequencies.GetValueOrDefault(term) + 1;
            length++;
        }

        _ids.Add(document.Id);
        _titles.Add(document.Title);
        _lengths.Add(length);
        _totalLength += length;
        foreach (var (term, frequency) in frequencies)
        {
            if (!_postings.TryGetValue(term, out var postings))
            {
                _postings[term] = postings = [];
            }

            postings.Add((number, frequency));
        }

        PostingCount += frequencies.Count;
    }
}
