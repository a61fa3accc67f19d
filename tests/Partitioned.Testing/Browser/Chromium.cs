using System.Diagnostics;

namespace Partitioned.Testing.Browser;

/// <summary>Debian's Chromium for browser tests: installed with apt-get when missing (never a browser a tool downloads itself).</summary>
public static class Chromium
{
    public const string ExecutablePath = "/usr/bin/chromium";

    /// <summary>The flags a headless Chromium needs here, as root, on a machine without outside network.</summary>
    public static IReadOnlyList<string> Arguments { get; } = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run", "--disable-component-update", "--disable-sync"];

    private static readonly SemaphoreSlim s_install = new(1, 1);

    /// <summary>Installs Debian's chromium package unless it is there.</summary>
    public static async Task EnsureInstalledAsync()
    {
        if (File.Exists(ExecutablePath))
        {
            return;
        }

        await s_install.WaitAsync();
        try
        {
            if (!File.Exists(ExecutablePath))
            {
                await RunAsync("apt-get", "update -qq");
                await RunAsync("apt-get", "install -y -qq --no-install-recommends chromium");
            }
        }
        finally
        {
            s_install.Release();
        }
    }

    private static async Task RunAsync(string program, string arguments)
    {
        var start = new ProcessStartInfo(program, arguments) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.Environment["DEBIAN_FRONTEND"] = "noninteractive";
        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{program} {arguments} failed ({process.ExitCode}): {await error}. The dashboard tests need Debian's chromium ({ExecutablePath}).");
        }
    }
}
