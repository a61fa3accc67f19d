using System.Globalization;
using System.Text.RegularExpressions;

namespace Partitioned.Clustering;

/// <summary>
/// The <c>srun</c> command line of one attempt (one job, one node, one task, running the worker command), and what
/// <c>srun</c> says about it: with <c>--verbose</c> it names the job and the node it got.
/// </summary>
internal static partial class SrunCommand
{
    // The runner's own arguments: a user's extra arguments may not override them.
    private static readonly string[] s_reserved = ["-J", "--job-name", "-N", "--nodes", "-n", "--ntasks", "-i", "--input", "--export", "-w", "--nodelist", "-x", "--exclude"];

    /// <summary>The job name of an attempt: unique per cluster run, partition and attempt, so it can be cancelled by name.</summary>
    public static string JobName(string prefix, string clusterId, int partition, int attempt) =>
        string.Create(CultureInfo.InvariantCulture, $"{prefix}-{clusterId}-p{partition}-a{attempt}");

    /// <summary>The job name of an executor: unique per cluster run and executor (<c>partitioned-5fc628bd619a-e3</c>).</summary>
    public static string JobName(string prefix, string clusterId, string executor) => $"{prefix}-{clusterId}-{executor}";

    /// <param name="options">The runner's options.</param>
    /// <param name="jobName">The job's name.</param>
    /// <param name="exclude">Nodes to avoid, or null.</param>
    /// <param name="worker">The worker program.</param>
    /// <param name="executor">For an executor's job, its sizing (CPUs and memory for all its attempts); null for one attempt's job.</param>
    public static IReadOnlyList<string> Arguments(SlurmRunnerOptions options, string jobName, string? exclude, WorkerCommand worker, ExecutorSizing? executor = null)
    {
        var arguments = new List<string>
        {
            $"--job-name={jobName}",
            "--nodes=1",
            "--ntasks=1",
            // Standard input (the token, then end-of-file when the driver goes) reaches the task; --verbose names the node.
            "--input=all",
            "--verbose",
        };
        Add(arguments, "--partition", options.Partition);
        Add(arguments, "--account", options.Account);
        Add(arguments, "--cpus-per-task", (executor is null ? options.CpusPerPartition : executor.Cpus)?.ToString(CultureInfo.InvariantCulture));
        Add(arguments, "--mem", executor is null ? options.MemoryPerPartition : executor.Memory);
        Add(arguments, "--time", options.TimeLimit is { } limit ? FormatTime(limit) : null);
        Add(arguments, "--exclude", exclude);
        if (options.WorkingDirectory is { } directory)
        {
            arguments.Add($"--chdir={directory}");
        }

        arguments.AddRange(options.ExtraArguments);
        arguments.Add("--");
        arguments.Add(worker.Executable);
        arguments.AddRange(worker.Arguments);
        return arguments;
    }

    /// <summary>True for an argument the runner sets itself.</summary>
    public static bool IsReserved(string argument)
    {
        var name = argument.Split('=', 2)[0];
        return s_reserved.Contains(name, StringComparer.Ordinal);
    }

    /// <summary>Reads <c>srun: jobid 12: nodes(1):`n2', cpu counts: 1(x1)</c>.</summary>
    public static bool TryReadPlacement(string line, out string jobId, out string node)
    {
        var match = PlacementPattern().Match(line);
        (jobId, node) = match.Success ? (match.Groups[1].Value, match.Groups[2].Value) : (string.Empty, string.Empty);
        return match.Success;
    }

    /// <summary>Slurm's <c>days-hours:minutes:seconds</c>, rounded up to whole minutes (Slurm's granularity).</summary>
    internal static string FormatTime(TimeSpan limit)
    {
        var minutes = (long)Math.Ceiling(limit.TotalMinutes);
        return string.Create(CultureInfo.InvariantCulture, $"{minutes / 1440}-{minutes / 60 % 24:00}:{minutes % 60:00}:00");
    }

    private static void Add(List<string> arguments, string name, string? value)
    {
        if (value is not null)
        {
            arguments.Add($"{name}={value}");
        }
    }

    [GeneratedRegex(@"^srun: jobid (\d+): nodes\(\d+\):`([^']+)'")]
    private static partial Regex PlacementPattern();
}
