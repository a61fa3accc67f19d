using System.ComponentModel;
using System.Diagnostics;

namespace Partitioned.Clustering;

/// <summary>
/// Slurm's client commands beside <c>srun</c> (<c>scancel</c>, <c>sinfo</c>, <c>scontrol</c>), run as short-lived
/// processes with a timeout. Found next to the configured <c>srun</c>, so one setting points at one installation.
/// </summary>
internal sealed class SlurmTools
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(15);

    private readonly string _directory;
    private readonly string? _configFile;

    public SlurmTools(string srun, string? configFile)
    {
        Srun = Resolve(srun) ?? srun;
        _directory = Path.GetDirectoryName(Srun) ?? string.Empty;
        _configFile = configFile;
    }

    /// <summary>The full path of <c>srun</c>.</summary>
    public string Srun { get; }

    /// <summary>The full path of a program: itself when rooted, else the first match on the PATH; null when missing.</summary>
    public static string? Resolve(string? program)
    {
        if (string.IsNullOrWhiteSpace(program))
        {
            return null;
        }

        if (Path.IsPathRooted(program) || program.Contains(Path.DirectorySeparatorChar, StringComparison.Ordinal))
        {
            return File.Exists(program) ? Path.GetFullPath(program) : null;
        }

        var path = Environment.GetEnvironmentVariable("PATH") ?? string.Empty;
        return path.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(directory => Path.Combine(directory, program))
            .FirstOrDefault(File.Exists);
    }

    /// <summary>Runs a sibling of <c>srun</c> and returns its standard output.</summary>
    /// <exception cref="InvalidOperationException">It could not start, did not finish in time, or failed; the message quotes its standard error.</exception>
    public async Task<string> RunAsync(string tool, IReadOnlyList<string> arguments, CancellationToken cancellationToken)
    {
        var program = _directory.Length > 0 && File.Exists(Path.Combine(_directory, tool)) ? Path.Combine(_directory, tool) : tool;
        var start = new ProcessStartInfo(program)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        if (_configFile is not null)
        {
            start.Environment["SLURM_CONF"] = _configFile;
        }

        var command = WorkerCommand.Format(tool, arguments);
        using var process = new Process { StartInfo = start };
        try
        {
            process.Start();
        }
        catch (Exception ex) when (ex is Win32Exception or InvalidOperationException)
        {
            throw new InvalidOperationException($"'{command}' could not be started: {ex.Message}", ex);
        }

        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
        var error = process.StandardError.ReadToEndAsync(CancellationToken.None);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(s_timeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            cancellationToken.ThrowIfCancellationRequested();
            throw new InvalidOperationException($"'{command}' did not finish within {s_timeout.TotalSeconds:0} s.");
        }

        var text = await output.ConfigureAwait(false);
        var problem = (await error.ConfigureAwait(false)).Trim();
        return process.ExitCode == 0
            ? text
            : throw new InvalidOperationException($"'{command}' failed with exit code {process.ExitCode}: {(problem.Length == 0 ? "no message" : problem)}");
    }
}
