using System.Diagnostics;
using System.Text;
using Xunit.Abstractions;

namespace Partitioned.Tests.Packaging;

/// <summary>Runs the dotnet CLI as a newcomer would, outside the test host's MSBuild environment; a non-zero exit fails the test.</summary>
internal sealed class DotnetCli(ITestOutputHelper output)
{
    public async Task<string> RunAsync(string[] arguments, string workingDirectory, IReadOnlyDictionary<string, string>? environment = null)
    {
        var (exitCode, text) = await TryRunAsync(arguments, workingDirectory, environment);
        exitCode.Should().Be(0, text);
        return text;
    }

    /// <summary>Runs the CLI and returns its exit code with everything it printed, for callers that read the failures themselves.</summary>
    public async Task<(int ExitCode, string Output)> TryRunAsync(string[] arguments, string workingDirectory, IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        // The test host runs under MSBuild's environment; a fresh project must not inherit it.
        foreach (var name in start.Environment.Keys.Where(static k => k.Contains("MSBUILD", StringComparison.OrdinalIgnoreCase) || k.StartsWith("VSTEST", StringComparison.OrdinalIgnoreCase)).ToList())
        {
            start.Environment.Remove(name);
        }

        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start)!;
        var text = new StringBuilder();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(4));
        await process.WaitForExitAsync(timeout.Token);
        text.Append(await stdout).Append(await stderr);
        output.WriteLine($"$ dotnet {string.Join(' ', arguments)}{Environment.NewLine}{text}");
        return (process.ExitCode, text.ToString());
    }
}
