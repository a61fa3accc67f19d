namespace SearchCluster;

/// <summary>The search server's settings: the corpus-wide statistics and the BM25 parameters. They travel to worker processes as JSON.</summary>
/// <param name="Statistics">Computed on the driver over the whole corpus.</param>
/// <param name="K1">Term-frequency saturation. Default 1.2.</param>
/// <param name="B">Length normalisation. Default 0.75.</param>
public sealed record SearchSettings(CorpusStatistics Statistics, double K1 = 1.2, double B = 0.75);
