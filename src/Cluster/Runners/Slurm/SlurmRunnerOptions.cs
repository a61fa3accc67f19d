using System.Text.RegularExpressions;
using Partitioned.Shared;

namespace Partitioned.Clustering;

/// <summary>
/// How the <see cref="SlurmRunner"/> runs partitions on a Slurm cluster: the worker program (as for the process
/// runner) and the resources of the job every attempt is. Checked when the runner is created; every problem is
/// reported at once.
/// </summary>
public sealed partial record SlurmRunnerOptions : WorkerOptions
{
    /// <summary>The <c>srun</c> program: a path, or a name found on the PATH. Its siblings <c>scancel</c>, <c>sinfo</c> and <c>scontrol</c> are used too. Default <c>srun</c>.</summary>
    public string SrunPath { get; init; } = "srun";

    /// <summary>The Slurm configuration file for <c>srun</c> and its siblings (sets <c>SLURM_CONF</c>). Default: Slurm's own (<c>SLURM_CONF</c>, else its built-in path).</summary>
    public string? ConfigFile { get; init; }

    /// <summary>The Slurm partition (queue) the jobs go to (<c>--partition</c>). Default: the cluster's default partition.</summary>
    public string? Partition { get; init; }

    /// <summary>The account the jobs are charged to (<c>--account</c>). Default: the user's default account.</summary>
    public string? Account { get; init; }

    /// <summary>CPUs reserved for every partition (<c>--cpus-per-task</c>). Default: Slurm's default (one).</summary>
    public int? CpusPerPartition { get; init; }

    /// <summary>Memory reserved for every partition, in Slurm's notation (<c>--mem</c>): <c>512M</c>, <c>4G</c>. Default: Slurm's default.</summary>
    public string? MemoryPerPartition { get; init; }

    /// <summary>The time limit of every attempt's job (<c>--time</c>; Slurm counts whole minutes). Default: the partition's limit.</summary>
    public TimeSpan? TimeLimit { get; init; }

    /// <summary>
    /// The nodes partitions may run on, as a Slurm host list (<c>n[1-4],gpu01</c>). Default: any node of the partition.
    /// Every attempt still runs on one node.
    /// </summary>
    public string? NodeList { get; init; }

    /// <summary>Nodes partitions never run on, as a Slurm host list (<c>--exclude</c>). Default none.</summary>
    public string? ExcludeNodes { get; init; }

    /// <summary>
    /// More <c>srun</c> arguments, placed before the worker command (for example <c>--qos=high</c>). The runner's own
    /// (job name, one node, one task, standard input) may not be overridden. Default none.
    /// </summary>
    public IReadOnlyList<string> ExtraArguments { get; init; } = [];

    /// <summary>
    /// The start of every job's name; the job of partition 3's attempt 1 in cluster run <c>5fc628bd619a</c> is
    /// <c>partitioned-5fc628bd619a-p3-a1</c>. Default <c>partitioned</c>.
    /// </summary>
    public string JobNamePrefix { get; init; } = "partitioned";

    /// <summary>
    /// True (default) when the nodes are other machines than the driver's, so the cluster refuses loopback addresses
    /// at start. False only for a cluster whose nodes share this machine's loopback (a local test cluster).
    /// </summary>
    public bool WorkersOnOtherHosts { get; init; } = true;

    /// <summary>
    /// CPUs reserved for every executor's job (<c>--cpus-per-task</c>), when attempts run in executors
    /// (<see cref="WorkerOptions.PartitionsPerExecutor"/>, <see cref="WorkerOptions.Executors"/> or <see cref="ExecutorsPerNode"/>).
    /// Default: the node's share with <see cref="ExecutorsPerNode"/>; else <see cref="CpusPerPartition"/> times the slots when
    /// that is set; else Slurm's default (one).
    /// </summary>
    public int? CpusPerExecutor { get; init; }

    /// <summary>
    /// Executors per usable node (within <see cref="NodeList"/>, outside <see cref="ExcludeNodes"/>, as <c>sinfo</c> lists them
    /// when the cluster starts): that many executors per node run, each with the node's CPUs shared among them
    /// (<see cref="CpusPerExecutor"/> unless set) and as many slots as it has CPUs (per <see cref="CpusPerPartition"/>), unless
    /// <see cref="WorkerOptions.PartitionsPerExecutor"/> says otherwise. Default null. Not with <see cref="WorkerOptions.Executors"/>.
    /// </summary>
    public int? ExecutorsPerNode { get; init; }

    /// <inheritdoc />
    internal override bool UsesExecutors => base.UsesExecutors || ExecutorsPerNode is not null;

    /// <summary>Options that run <c>dotnet &lt;assemblyPath&gt;</c> on the nodes (the same path must hold the same build there).</summary>
    /// <param name="assemblyPath">The worker app's built dll.</param>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    public static SlurmRunnerOptions ForAssembly(string assemblyPath) =>
        new() { Executable = WorkerCommand.FindDotnetHost(), Arguments = [RequireAssembly(assemblyPath)] };

    internal void Validate()
    {
        var validation = new OptionsValidation(nameof(SlurmRunnerOptions));
        ValidateWorker(validation);
        validation.Require(SlurmTools.Resolve(SrunPath) is not null, $"{nameof(SrunPath)} '{SrunPath}' was not found{(Path.IsPathRooted(SrunPath) ? string.Empty : " on the PATH")}; install Slurm's client commands (Debian: slurm-client) or set {nameof(SrunPath)}.");
        validation.Require(ConfigFile is null || File.Exists(ConfigFile), $"{nameof(ConfigFile)} '{ConfigFile}' does not exist.");
        RequireWord(validation, nameof(Partition), Partition);
        RequireWord(validation, nameof(Account), Account);
        RequireWord(validation, nameof(NodeList), NodeList);
        RequireWord(validation, nameof(ExcludeNodes), ExcludeNodes);
        validation.Require(CpusPerPartition is null or >= 1, $"{nameof(CpusPerPartition)} must be at least 1 (was {CpusPerPartition}).");
        validation.Require(MemoryPerPartition is null || MemoryPattern().IsMatch(MemoryPerPartition), $"{nameof(MemoryPerPartition)} must be a size in Slurm's notation such as 512M or 4G (was '{MemoryPerPartition}').");
        validation.Require(TimeLimit is null || TimeLimit > TimeSpan.Zero, $"{nameof(TimeLimit)} must be positive (was {TimeLimit}).");
        validation.Require(CpusPerExecutor is null or >= 1, $"{nameof(CpusPerExecutor)} must be at least 1 (was {CpusPerExecutor}).");
        validation.Require(ExecutorsPerNode is null or >= 1, $"{nameof(ExecutorsPerNode)} must be at least 1 (was {ExecutorsPerNode}).");
        validation.Require(ExecutorsPerNode is null || Executors is null, $"{nameof(ExecutorsPerNode)} and {nameof(Executors)} both say how many executors run; set one of them.");
        validation.Require(CpusPerExecutor is null || UsesExecutors, $"{nameof(CpusPerExecutor)} applies to executors: set {nameof(PartitionsPerExecutor)} above 1, {nameof(Executors)} or {nameof(ExecutorsPerNode)} too (or {nameof(CpusPerPartition)} for a job per attempt).");
        validation.Require(JobNamePrefix is not null && JobNamePrefixPattern().IsMatch(JobNamePrefix), $"{nameof(JobNamePrefix)} must be 1 to 64 letters, digits, '.', '_' or '-' (was '{JobNamePrefix}').");
        if (ExtraArguments is null || ExtraArguments.Any(static a => a is null))
        {
            validation.Require(false, $"{nameof(ExtraArguments)} must not be null or hold null entries.");
        }
        else
        {
            foreach (var argument in ExtraArguments.Where(SrunCommand.IsReserved))
            {
                validation.Require(false, $"{nameof(ExtraArguments)}: '{argument}' is set by the runner itself (job name, one node, one task, standard input); remove it.");
            }
        }

        validation.ThrowIfInvalid();
    }

    private static void RequireWord(OptionsValidation validation, string setting, string? value) =>
        validation.Require(value is null || (value.Length > 0 && !value.Any(static c => char.IsWhiteSpace(c) || char.IsControl(c))), $"{setting} must not be empty or hold spaces (was '{value}').");

    /// <summary><see cref="MemoryPerPartition"/> times <paramref name="slots"/>, in the same unit; null when it is not set.</summary>
    internal string? MemoryFor(int slots)
    {
        if (MemoryPerPartition is not { } memory || !MemoryPattern().IsMatch(memory))
        {
            return null;
        }

        var unit = char.IsLetter(memory[^1]) ? memory[^1..] : string.Empty;
        return (long.Parse(memory[..^unit.Length], System.Globalization.CultureInfo.InvariantCulture) * slots).ToString(System.Globalization.CultureInfo.InvariantCulture) + unit;
    }

    [GeneratedRegex("^[0-9]+[KMGT]?$")]
    private static partial Regex MemoryPattern();

    [GeneratedRegex("^[A-Za-z0-9._-]{1,64}$")]
    private static partial Regex JobNamePrefixPattern();
}
