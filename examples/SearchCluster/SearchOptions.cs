using System.Globalization;

namespace SearchCluster;

/// <summary>The example's command line.</summary>
public sealed record SearchOptions
{
    public const string Usage = """
        usage: SearchCluster [options]
          --partitions N     partitions (default 3)
          --documents N      documents to generate (default 5000; ignored with --corpus)
          --corpus FOLDER    index the .txt files of FOLDER instead of a generated corpus
          --query TEXT       a query to run (repeatable; default a built-in list)
          --k N              hits per query (default 10, at most 100)
          --rounds N         times every query runs to measure latency (default 20)
          --runner NAME      where partitions run: process (default: worker processes on this machine),
                             in-process, or slurm (one Slurm job per partition, on the cluster's nodes)
          --in-process       same as --runner in-process
          --local-slurm      with --runner slurm: start this repository's local 3-node Slurm cluster first
                             (scripts/slurm-local.sh; installs slurm-wlm and munge when missing; needs root)
          --slurm-conf FILE  with --runner slurm: the cluster's slurm.conf (default: $SLURM_CONF or Slurm's own)
          --host ADDRESS     with --runner slurm: this machine's name or address as the nodes reach it
                             (default: its host name)
          --serve            after the queries, serve GET /search?q=...&k=... until Ctrl+C, and print the coordinator's
                             address and a client key for --client
          --client ADDRESS   client mode: search the cluster whose coordinator is at ADDRESS from this process,
                             with the key in PARTITIONED_CLIENT_KEY (runs the queries, starts no cluster)
          --port N           port for --serve (default 5080)
        """;

    public int Partitions { get; init; } = 3;

    public int Documents { get; init; } = 5000;

    public string? CorpusFolder { get; init; }

    public IReadOnlyList<string> Queries { get; init; } = Corpus.SampleQueries;

    public int K { get; init; } = SearchQuery.DefaultK;

    public int Rounds { get; init; } = 20;

    public string Runner { get; init; } = "process";

    public bool LocalSlurm { get; init; }

    public string? SlurmConfig { get; init; }

    public string? Host { get; init; }

    public bool Serve { get; init; }

    /// <summary>Client mode: the coordinator address of a running search cluster to query from this process.</summary>
    public string? Client { get; init; }

    public int Port { get; init; } = 5080;

    /// <summary>Reads the arguments; returns null and says why when they are wrong.</summary>
    public static SearchOptions? Parse(IReadOnlyList<string> args, out string? error)
    {
        var options = new SearchOptions();
        var queries = new List<string>();
        string? problem = null;
        for (var i = 0; i < args.Count && problem is null; i++)
        {
            var name = args[i];
            switch (name)
            {
                case "--in-process":
                    options = options with { Runner = "in-process" };
                    continue;
                case "--local-slurm":
                    options = options with { LocalSlurm = true };
                    continue;
                case "--serve":
                    options = options with { Serve = true };
                    continue;
                case "--help" or "-h":
                    problem = string.Empty;
                    continue;
            }

            if (i + 1 >= args.Count)
            {
                problem = $"{name} needs a value.";
                break;
            }

            var value = args[++i];
            switch (name)
            {
                case "--partitions":
                    options = options with { Partitions = Number(value, 1, 64) };
                    break;
                case "--documents":
                    options = options with { Documents = Number(value, 1, 10_000_000) };
                    break;
                case "--k":
                    options = options with { K = Number(value, 1, SearchQuery.MaxK) };
                    break;
                case "--rounds":
                    options = options with { Rounds = Number(value, 1, 100_000) };
                    break;
                case "--port":
                    options = options with { Port = Number(value, 1, 65535) };
                    break;
                case "--corpus":
                    options = options with { CorpusFolder = value };
                    break;
                case "--query":
                    queries.Add(value);
                    break;
                case "--runner" when value is "in-process" or "process" or "slurm":
                    options = options with { Runner = value };
                    break;
                case "--runner":
                    problem = $"--runner must be in-process, process or slurm (was '{value}').";
                    break;
                case "--slurm-conf":
                    options = options with { SlurmConfig = value };
                    break;
                case "--host":
                    options = options with { Host = value };
                    break;
                case "--client" when Uri.TryCreate(value, UriKind.Absolute, out var client) && client.Scheme is "http" or "https":
                    options = options with { Client = value };
                    break;
                case "--client":
                    problem = $"--client must be the coordinator's http address, such as http://127.0.0.1:41234/ (was '{value}').";
                    break;
                default:
                    problem = $"Unknown option {name}.";
                    break;
            }

            int Number(string text, int minimum, int maximum)
            {
                if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var number) && number >= minimum && number <= maximum)
                {
                    return number;
                }

                problem ??= $"{name} must be a whole number from {minimum} to {maximum} (was '{text}').";
                return 0;
            }
        }

        if (problem is null && options.Runner != "slurm" && (options.LocalSlurm || options.SlurmConfig is not null || options.Host is not null))
        {
            problem = "--local-slurm, --slurm-conf and --host go with --runner slurm.";
        }

        error = problem;
        return problem is null ? options with { Queries = queries.Count > 0 ? queries : options.Queries } : null;
    }
}
