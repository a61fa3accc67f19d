using System.Globalization;
using System.Text.RegularExpressions;

namespace Partitioned.Protocol;

/// <summary>
/// The lines a driver and an executor (a worker process hosting several partition attempts) exchange over the executor's
/// standard streams, after the token: commands on standard input (<c>run 3 0</c>, <c>abandon 3 0</c>; end of input means
/// the driver is gone), and reports on standard output (<c>PARTITIONED_EXECUTOR ended 3 0 3 initialisation failed: ...</c>).
/// Rows, results, registration and failures still travel over HTTP with the coordinator, per attempt. docs/protocols.md
/// documents them as a spec.
/// </summary>
internal static partial class ExecutorProtocol
{
    /// <summary>A command: start this attempt in a free slot.</summary>
    public const string Run = "run";

    /// <summary>A command: stop this attempt at once, without results (the driver gave up on it).</summary>
    public const string Abandon = "abandon";

    /// <summary>The start of every report line on the executor's standard output; lines without it are its log.</summary>
    public const string ReportPrefix = "PARTITIONED_EXECUTOR ";

    /// <summary>A report: an attempt ended, with its code (one of the worker exit codes) and, unless 0, why.</summary>
    public const string Ended = "ended";

    /// <summary>A command line: <c>run 3 0</c>.</summary>
    public static string Command(string verb, int partition, int attempt) =>
        string.Create(CultureInfo.InvariantCulture, $"{verb} {partition} {attempt}");

    /// <summary>Reads a command line; false for anything else.</summary>
    public static bool TryReadCommand(string line, out string verb, out int partition, out int attempt)
    {
        var match = CommandPattern().Match(line.Trim());
        (verb, partition, attempt) = match.Success
            ? (match.Groups[1].Value, int.Parse(match.Groups[2].Value, CultureInfo.InvariantCulture), int.Parse(match.Groups[3].Value, CultureInfo.InvariantCulture))
            : (string.Empty, -1, -1);
        return match.Success;
    }

    /// <summary>The report that an attempt ended: <c>PARTITIONED_EXECUTOR ended 3 0 0</c>, the reason on one line after the code.</summary>
    public static string EndedReport(int partition, int attempt, int code, string? reason)
    {
        var line = string.Create(CultureInfo.InvariantCulture, $"{ReportPrefix}{Ended} {partition} {attempt} {code}");
        return string.IsNullOrWhiteSpace(reason) ? line : $"{line} {OneLine(reason)}";
    }

    /// <summary>
    /// Reads an ended report, also one at the end of a line another writer left unfinished; false for any other line (the
    /// executor's log, or user code writing to standard output).
    /// </summary>
    public static bool TryReadEnded(string line, out int partition, out int attempt, out int code, out string reason)
    {
        var match = EndedPattern().Match(line);
        (partition, attempt, code, reason) = match.Success
            ? (int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture), int.Parse(match.Groups[2].Value, CultureInfo.InvariantCulture),
               int.Parse(match.Groups[3].Value, CultureInfo.InvariantCulture), match.Groups[4].Value)
            : (-1, -1, -1, string.Empty);
        return match.Success;
    }

    /// <summary>True for an executor id: 1 to 64 ASCII letters, digits, '.', '_' or '-'.</summary>
    public static bool IsExecutorId(string? id) => id is not null && IdPattern().IsMatch(id);

    private static string OneLine(string text) => text.ReplaceLineEndings(" ").Trim();

    [GeneratedRegex(@"^(run|abandon) (\d{1,9}) (\d{1,9})$")]
    private static partial Regex CommandPattern();

    // Not anchored at the start: partition code that wrote to standard output without ending its line (a progress
    // indicator) glues the report to its text, and a report missed would leave its attempt running on the driver's side.
    [GeneratedRegex(@"PARTITIONED_EXECUTOR ended (\d{1,9}) (\d{1,9}) (\d{1,3})(?: (.*))?$")]
    private static partial Regex EndedPattern();

    [GeneratedRegex("^[A-Za-z0-9._-]{1,64}$")]
    private static partial Regex IdPattern();
}
