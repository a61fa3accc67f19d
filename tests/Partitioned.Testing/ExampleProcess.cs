using System.Diagnostics;
using System.Text;

namespace Partitioned.Testing;

/// <summary>Runs a built example (or any project output) as a child process, the way a user would run it.</summary>
public static class ExampleProcess
{
    /// <summary>The repository root (the folder holding PartitionServer.sln).</summary>
    public static string RepositoryRoot { get; } = FindRoot();

    /// <summary>The built dll of a project under <paramref name="folder"/> (examples, tests...), same configuration as the tests.</summary>
    public static string DllOf(string folder, string project)
    {
        var configuration = new DirectoryInfo(Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory)).Parent!.Name;
        var dll = Path.Combine(RepositoryRoot, folder, project, "bin", configuration, "net10.0", project + ".dll");
        return File.Exists(dll) ? dll : throw new FileNotFoundException($"{dll} is not built; build the solution first.", dll);
    }

    /// <summary>Starts <c>dotnet dll args</c> and returns its exit code and output once it exits (killed after <paramref name="timeout"/>).</summary>
    public static async Task<(int ExitCode, string Output, string Error)> RunAsync(string dll, string arguments, TimeSpan timeout, IDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo("dotnet", $"\"{dll}\" {arguments}")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(dll)!,
        };
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }

        using var process = Process.Start(start)!;
        var output = new StringBuilder();
        var error = new StringBuilder();
        process.OutputDataReceived += (_, e) => { lock (output) { output.AppendLine(e.Data); } };
        process.ErrorDataReceived += (_, e) => { lock (error) { error.AppendLine(e.Data); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{Path.GetFileName(dll)} did not exit within {timeout.TotalSeconds} s. Output so far:{Environment.NewLine}{output}{error}");
        }

        process.WaitForExit();
        return (process.ExitCode, output.ToString(), error.ToString());
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "PartitionServer.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("PartitionServer.sln not found above " + AppContext.BaseDirectory);
    }
}
