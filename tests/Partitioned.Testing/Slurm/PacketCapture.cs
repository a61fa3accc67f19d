using System.Diagnostics;

namespace Partitioned.Testing.Slurm;

/// <summary>
/// Records every packet on a network interface with tcpdump (installed with apt-get when missing, as the Slurm fixture
/// installs Slurm; needs root), so a test can look for secrets in what crossed the wire.
/// </summary>
public sealed class PacketCapture : IAsyncDisposable
{
    private readonly Process _tcpdump;

    private PacketCapture(Process tcpdump, string file)
    {
        _tcpdump = tcpdump;
        File = file;
    }

    /// <summary>The capture file (pcap).</summary>
    public string File { get; }

    /// <summary>Installs tcpdump when it is missing.</summary>
    /// <exception cref="InvalidOperationException">It cannot be installed.</exception>
    public static async Task EnsureInstalledAsync()
    {
        if ((await RunAsync("bash", "-c", "command -v tcpdump")).ExitCode == 0)
        {
            return;
        }

        if ((await RunAsync("apt-get", "install", "-y", "-qq", "tcpdump")).ExitCode != 0)
        {
            await RunAsync("apt-get", "update", "-qq");
            var (code, output) = await RunAsync("apt-get", "install", "-y", "-qq", "tcpdump");
            if (code != 0)
            {
                throw new InvalidOperationException($"tcpdump is missing and apt-get could not install it (root is needed): {output}");
            }
        }
    }

    /// <summary>Starts capturing every packet on <paramref name="networkInterface"/> into <paramref name="file"/>; returns once tcpdump listens.</summary>
    public static async Task<PacketCapture> StartAsync(string networkInterface, string file)
    {
        var start = new ProcessStartInfo("tcpdump") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var argument in new[] { "-i", networkInterface, "-U", "-s", "0", "-w", file })
        {
            start.ArgumentList.Add(argument);
        }

        var tcpdump = Process.Start(start)!;
        _ = tcpdump.StandardOutput.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (await tcpdump.StandardError.ReadLineAsync(timeout.Token) is { } line)
        {
            if (line.Contains("listening on", StringComparison.Ordinal))
            {
                _ = tcpdump.StandardError.ReadToEndAsync();
                return new PacketCapture(tcpdump, file);
            }
        }

        throw new InvalidOperationException($"tcpdump did not start listening on {networkInterface} (exit code {(tcpdump.HasExited ? tcpdump.ExitCode : -1)}).");
    }

    /// <summary>Stops the capture (SIGINT, so tcpdump writes what it holds) and returns every byte of the file.</summary>
    public async Task<byte[]> StopAsync()
    {
        if (!_tcpdump.HasExited)
        {
            await RunAsync("kill", "-INT", _tcpdump.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            try
            {
                await _tcpdump.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                _tcpdump.Kill();
            }
        }

        return await System.IO.File.ReadAllBytesAsync(File);
    }

    /// <summary>True when <paramref name="text"/> (ASCII) appears anywhere in <paramref name="capture"/>.</summary>
    public static bool Contains(byte[] capture, string text) => capture.AsSpan().IndexOf(System.Text.Encoding.ASCII.GetBytes(text)) >= 0;

    public async ValueTask DisposeAsync()
    {
        if (!_tcpdump.HasExited)
        {
            await StopAsync();
        }

        _tcpdump.Dispose();
    }

    private static async Task<(int ExitCode, string Output)> RunAsync(string command, params string[] arguments)
    {
        var start = new ProcessStartInfo(command) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["DEBIAN_FRONTEND"] = "noninteractive";
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await output + await error);
    }
}
