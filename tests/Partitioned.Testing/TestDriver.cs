using System.Diagnostics;
using System.Globalization;

namespace Partitioned.Testing;

/// <summary>
/// A driver in a process of its own: the test worker in one of its <c>drive</c> modes, started and read until it printed
/// <c>ready</c>, collecting the worker (or executor) processes and the cluster id it announced. For tests that kill the
/// driver and check what it leaves behind.
/// </summary>
public sealed class TestDriver : IDisposable
{
    private readonly HashSet<int> _workers = [];

    private TestDriver(Process process) => Process = process;

    /// <summary>The driver's process.</summary>
    public Process Process { get; }

    /// <summary>The worker (or executor) processes the driver announced, each once.</summary>
    public IReadOnlyCollection<int> Workers => _workers;

    /// <summary>The cluster id the driver announced, if it did.</summary>
    public string? ClusterId { get; private set; }

    /// <summary>
    /// Starts the test worker with <paramref name="arguments"/> (after its dll) and reads its output until <c>ready</c>;
    /// every line of its output and error goes to <paramref name="write"/> with where it came from.
    /// </summary>
    public static async Task<TestDriver> StartAsync(IEnumerable<string> arguments, Action<string, string?> write, TimeSpan readyWithin)
    {
        var start = new ProcessStartInfo(TestWorkers.Options.Executable!) { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(TestWorkers.Dll);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        var driver = new TestDriver(Process.Start(start)!);
        try
        {
            driver.Process.ErrorDataReceived += (_, e) => write("driver stderr", e.Data);
            driver.Process.BeginErrorReadLine();
            using var deadline = new CancellationTokenSource(readyWithin);
            while (await driver.Process.StandardOutput.ReadLineAsync(deadline.Token) is { } line && line != "ready")
            {
                write("driver", line);
                if (line.StartsWith("worker ", StringComparison.Ordinal))
                {
                    driver._workers.Add(int.Parse(line["worker ".Length..], CultureInfo.InvariantCulture));
                }
                else if (line.StartsWith("cluster ", StringComparison.Ordinal))
                {
                    driver.ClusterId = line["cluster ".Length..];
                }
            }

            return driver;
        }
        catch
        {
            driver.Dispose();
            throw;
        }
    }

    /// <summary>Kills the driver's process tree if it still runs.</summary>
    public void Dispose()
    {
        if (!Process.HasExited)
        {
            Process.Kill(entireProcessTree: true);
        }

        Process.Dispose();
    }
}
