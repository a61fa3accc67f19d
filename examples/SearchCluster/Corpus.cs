namespace SearchCluster;

/// <summary>Where the documents come from: a corpus generated deterministically in code, or a folder of .txt files.</summary>
public static class Corpus
{
    private static readonly (string Name, string[] Words)[] s_topics =
    [
        ("astronomy", ["star", "galaxy", "orbit", "telescope", "nebula", "comet", "planet", "asteroid", "eclipse", "lunar", "solar", "quasar", "cosmic", "gravity", "supernova", "meteor", "spectrum", "observatory", "satellite", "horizon"]),
        ("geology", ["rock", "mineral", "volcano", "magma", "sediment", "erosion", "fault", "quake", "crystal", "basalt", "granite", "lava", "strata", "fossil", "canyon", "glacier", "delta", "tectonic", "quarry", "limestone"]),
        ("medicine", ["vaccine", "immune", "virus", "clinic", "patient", "therapy", "surgery", "dose", "symptom", "fever", "antibody", "diagnosis", "tissue", "cell", "heart", "lung", "nurse", "pharmacy", "trial", "infection"]),
        ("cooking", ["flour", "butter", "oven", "recipe", "garlic", "onion", "sauce", "simmer", "roast", "bread", "pastry", "spice", "pepper", "salt", "kitchen", "knife", "broth", "dough", "sugar", "honey"]),
        ("music", ["melody", "rhythm", "chord", "guitar", "piano", "violin", "orchestra", "tempo", "harmony", "song", "singer", "concert", "drum", "bass", "lyric", "opera", "choir", "note", "scale", "jazz"]),
        ("sailing", ["sail", "mast", "harbor", "anchor", "tide", "wind", "keel", "hull", "rope", "deck", "captain", "voyage", "storm", "compass", "island", "coast", "current", "wave", "port", "ship"]),
        ("computing", ["compiler", "memory", "thread", "socket", "kernel", "cache", "processor", "algorithm", "database", "query", "index", "network", "packet", "server", "latency", "binary", "function", "variable", "loop", "stack"]),
        ("farming", ["wheat", "barley", "harvest", "tractor", "soil", "seed", "field", "cattle", "barn", "orchard", "irrigation", "plough", "crop", "farmer", "hay", "meadow", "grain", "sheep", "goat", "fence"]),
        ("architecture", ["arch", "column", "vault", "facade", "brick", "timber", "roof", "beam", "tower", "bridge", "cathedral", "dome", "marble", "window", "stair", "plaster", "courtyard", "pillar", "mortar", "design"]),
        ("finance", ["market", "bond", "stock", "price", "interest", "loan", "credit", "bank", "dividend", "inflation", "currency", "trade", "budget", "asset", "debt", "equity", "profit", "tax", "audit", "fund"]),
        ("botany", ["leaf", "root", "petal", "pollen", "flower", "stem", "fern", "moss", "orchid", "seedling", "branch", "bark", "blossom", "tree", "forest", "garden", "soil", "photosynthesis", "chlorophyll", "vine"]),
        ("law", ["court", "judge", "jury", "verdict", "contract", "statute", "appeal", "witness", "lawyer", "evidence", "trial", "crime", "sentence", "rights", "treaty", "clause", "plaintiff", "tort", "license", "ruling"]),
    ];

    // Frequent words every topic shares, stop words among them (the tokenizer drops those).
    private static readonly string[] s_common =
    [
        "the", "of", "and", "to", "in", "is", "was", "for", "on", "with", "time", "year", "people", "way", "day", "thing", "life", "world",
        "school", "state", "family", "group", "country", "problem", "hand", "part", "place", "case", "week", "system", "question", "work",
        "number", "night", "point", "home", "water", "room", "area", "money", "story", "fact", "month", "study", "book", "job", "word",
        "issue", "side", "kind", "head", "house", "service", "friend", "power", "hour", "game", "line", "end", "member", "city", "name",
        "team", "minute", "idea", "body", "back", "level", "office", "door", "health", "art", "history", "result", "change", "morning",
        "reason", "research", "moment", "air", "force", "education", "light", "river", "road", "north", "south", "early", "late", "small",
    ];

    /// <summary>Queries that hit the generated corpus.</summary>
    public static IReadOnlyList<string> SampleQueries { get; } =
    [
        "galaxy telescope", "volcano magma lava", "vaccine immune response", "garlic butter sauce", "jazz piano chord",
        "harbor anchor storm", "kernel thread cache latency", "wheat harvest", "cathedral dome marble", "bond inflation interest",
        "orchid pollen", "jury verdict appeal", "solar wind", "bridge design", "river delta sediment",
    ];

    /// <summary>
    /// Generates <paramref name="count"/> documents, the same ones for the same seed on every machine: each mixes
    /// common words with the words of a main topic and a second one, drawn with Zipf-like frequencies.
    /// </summary>
    public static IReadOnlyList<Document> Generate(int count, ulong seed = 42)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        var random = new SplitMix64(seed);
        var documents = new List<Document>(count);
        var words = new List<string>();
        for (var i = 0; i < count; i++)
        {
            var main = s_topics[random.Next(s_topics.Length)];
            var second = s_topics[random.Next(s_topics.Length)];
            var length = 40 + random.Next(160);
            words.Clear();
            for (var w = 0; w < length; w++)
            {
                var pick = random.NextDouble();
                var source = pick < 0.5 ? s_common : pick < 0.85 ? main.Words : second.Words;
                words.Add(source[Zipf(ref random, source.Length)]);
            }

            var title = $"{char.ToUpperInvariant(main.Name[0])}{main.Name[1..]}: {main.Words[Zipf(ref random, main.Words.Length)]} and {second.Words[Zipf(ref random, second.Words.Length)]}";
            documents.Add(new Document($"doc-{i:D5}", title, string.Join(' ', words) + "."));
        }

        return documents;
    }

    /// <summary>One document per .txt file under <paramref name="folder"/> (recursively), in ordinal path order; the id is the relative path, the title the first non-blank line.</summary>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <exception cref="ArgumentException">It holds no .txt files.</exception>
    public static IReadOnlyList<Document> LoadFolder(string folder)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        var root = Path.GetFullPath(folder);
        if (!Directory.Exists(root))
        {
            throw new DirectoryNotFoundException($"The corpus folder {root} does not exist.");
        }

        var files = Directory.GetFiles(root, "*.txt", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToArray();
        if (files.Length == 0)
        {
            throw new ArgumentException($"The corpus folder {root} holds no .txt files.", nameof(folder));
        }

        return [.. files.Select(file =>
        {
            var text = File.ReadAllText(file);
            var id = Path.GetRelativePath(root, file).Replace('\\', '/');
            var firstLine = text.Split('\n').Select(static l => l.Trim()).FirstOrDefault(static l => l.Length > 0) ?? id;
            return new Document(id, firstLine.Length > 80 ? firstLine[..80] : firstLine, text);
        })];
    }

    // Rank r (0-based) is drawn with weight 1 / (r + 1).
    private static int Zipf(ref SplitMix64 random, int count)
    {
        var harmonic = 0.0;
        for (var r = 1; r <= count; r++)
        {
            harmonic += 1.0 / r;
        }

        var target = random.NextDouble() * harmonic;
        for (var r = 0; r < count; r++)
        {
            target -= 1.0 / (r + 1);
            if (target <= 0)
            {
                return r;
            }
        }

        return count - 1;
    }

    /// <summary>A tiny, fully specified generator (SplitMix64), so the corpus is the same on every runtime.</summary>
    private struct SplitMix64(ulong seed)
    {
        private ulong _state = seed;

        public ulong NextUInt64()
        {
            var z = _state += 0x9E3779B97F4A7C15UL;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return z ^ (z >> 31);
        }

        public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

        public int Next(int maxExclusive) => (int)(NextUInt64() % (ulong)maxExclusive);
    }
}
