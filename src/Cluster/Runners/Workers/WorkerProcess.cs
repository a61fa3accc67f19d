using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using Microsoft.Extensions.Logging;
using Partitioned.Security;
using Partitioned.Server;

namespace Partitioned.Clustering;

/// <summary>
/// The local process of one worker attempt (the worker itself, or a launcher such as <c>srun</c> relaying it):
/// started with the launch variables, handed the token on standard input (which then stays open: its end-of-file
/// tells the worker the driver is gone), its output logged line by line, the tail of its standard error kept, and
/// killed with its whole process tree when it must go.
/// </summary>
internal sealed partial class WorkerProcess : IAsyncDisposable
{
    // A grandchild that inherited the pipes can keep them open after the worker exited; do not wait for it.
    private static readonly TimeSpan s_outputDrain = TimeSpan.FromSeconds(2);
    private static readonly UTF8Encoding s_utf8 = new(encoderShouldEmitUTF8Identifier: false);

    private readonly Process _process;
    private readonly ILogger _logger;
    private readonly int _partition;
    private readonly int _attempt;
    private readonly int _tailLines;
    private readonly Queue<string> _tail = new();
    private readonly Task _standardOutput;
    private readonly Task _standardError;
    private readonly Func<string, bool>? _launcherLine;
    private string? _sealFor;
    private int _killed;

    private WorkerProcess(Process process, PartitionLaunch launch, int tailLines, ILogger logger, Func<string, bool>? launcherLine)
    {
        _launcherLine = launcherLine;

        // Under TLS the token goes sealed, once the worker asked for it with its key (see TokenSeal); set before the pumps start.
        _sealFor = launch.Tls is null ? null : launch.Token.Value;
        _process = process;
        _logger = logger;
        _partition = launch.Partition;
        _attempt = launch.Attempt;
        _tailLines = tailLines;
        Id = process.Id;
        _standardOutput = PumpAsync(process.StandardOutput, isError: false);
        _standardError = PumpAsync(process.StandardError, isError: true);
        Exited = WaitForExitAsync();
    }

    /// <summary>The worker's process id.</summary>
    public int Id { get; }

    /// <summary>Completes with the exit code once the process exited and its output was read.</summary>
    public Task<int> Exited { get; }

    /// <summary>True once <see cref="Kill"/> was called: an exit code then says how it was killed, not how it failed.</summary>
    public bool WasKilled => Volatile.Read(ref _killed) != 0;

    /// <summary>The last lines of standard error, oldest first.</summary>
    public IReadOnlyList<string> StandardErrorTail
    {
        get
        {
            lock (_tail)
            {
                return [.. _tail];
            }
        }
    }

    /// <summary>Starts the process and hands it the cluster token on the first line of its standard input, which stays open.</summary>
    /// <param name="start">The program, arguments and environment.</param>
    /// <param name="launch">Which attempt, and its token.</param>
    /// <param name="tailLines">How many lines of standard error to keep.</param>
    /// <param name="logger">Where output lines go.</param>
    /// <param name="launcherLine">Reads a standard error line first: true when it was a launcher's own line (not the worker's).</param>
    /// <exception cref="WorkerProcessException">The process could not be started.</exception>
    public static WorkerProcess Start(WorkerStart start, PartitionLaunch launch, int tailLines, ILogger logger, Func<string, bool>? launcherLine = null)
    {
        var info = new ProcessStartInfo(start.Executable)
        {
            UseShellExecute = false,
            CreateNoWindow = true,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardInputEncoding = s_utf8,
            StandardOutputEncoding = s_utf8,
            StandardErrorEncoding = s_utf8,
            WorkingDirectory = start.WorkingDirectory,
        };
        foreach (var argument in start.Arguments)
        {
            info.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in start.Environment)
        {
            if (value is null)
            {
                info.Environment.Remove(name);
            }
            else
            {
                info.Environment[name] = value;
            }
        }

        var process = new Process { StartInfo = info };
        try
        {
            process.Start();
        }
        catch (Exception ex) when (ex is Win32Exception or InvalidOperationException or IOException)
        {
            process.Dispose();
            throw new WorkerProcessException(launch.Partition, launch.Attempt, exitCode: null, $"could not be started ({start}): {ex.Message}", [], ex);
        }

        var worker = new WorkerProcess(process, launch, tailLines, logger, launcherLine);
        if (launch.Tls is not null)
        {
            return worker;
        }

        try
        {
            // The token goes on standard input, never into the environment or onto the command line.
            process.StandardInput.Write(launch.Token.Value + "\n");
            process.StandardInput.Flush();
        }
        catch (IOException)
        {
            // It died before reading its input; its exit code and standard error say why.
        }

        return worker;
    }

    /// <summary>
    /// Closes the worker's standard input: to the worker, the driver is gone, so it abandons its attempt and exits.
    /// A launcher such as <c>srun</c> relays the end of file to the worker wherever it runs.
    /// </summary>
    public void CloseInput()
    {
        try
        {
            _process.StandardInput.Close();
        }
        catch (IOException)
        {
            // Already gone.
        }
    }

    /// <summary>True when the process exited within <paramref name="grace"/> (or <paramref name="cancel"/> fired first: false).</summary>
    public async Task<bool> ExitsWithinAsync(TimeSpan grace, CancellationToken cancel = default)
    {
        try
        {
            await Exited.WaitAsync(grace, cancel).ConfigureAwait(false);
            return true;
        }
        catch (Exception ex) when (ex is TimeoutException or OperationCanceledException)
        {
            return Exited.IsCompleted;
        }
    }

    /// <summary>Kills the process and every process it started, at once.</summary>
    public void Kill()
    {
        Volatile.Write(ref _killed, 1);
        try
        {
            _process.Kill(entireProcessTree: true);
        }
        catch (Exception ex) when (ex is InvalidOperationException or Win32Exception or NotSupportedException)
        {
            // It exited meanwhile.
        }
    }

    /// <summary>Answers the worker's request for the sealed token (its first one only); false for any other line.</summary>
    private bool TrySendSealedToken(string line)
    {
        if (Volatile.Read(ref _sealFor) is not { } token || !TokenSeal.TrySeal(line, token, out var sealedLine))
        {
            return false;
        }

        Volatile.Write(ref _sealFor, null);
        try
        {
            _process.StandardInput.Write(sealedLine + "\n");
            _process.StandardInput.Flush();
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or InvalidOperationException)
        {
            // It died meanwhile; its exit code and standard error say why.
        }

        return true;
    }

    public async ValueTask DisposeAsync()
    {
        if (!Exited.IsCompleted)
        {
            Kill();
            await ((Task)Exited).WaitAsync(s_outputDrain * 2).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        _process.Dispose();
    }

    private async Task<int> WaitForExitAsync()
    {
        await _process.WaitForExitAsync().ConfigureAwait(false);
        await Task.WhenAll(_standardOutput, _standardError).WaitAsync(s_outputDrain).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        return _process.ExitCode;
    }

    private async Task PumpAsync(StreamReader reader, bool isError)
    {
        // Off the caller's thread at once: the first read may complete synchronously.
        await Task.Yield();
        try
        {
            while (await reader.ReadLineAsync().ConfigureAwait(false) is { } line)
            {
                if (!isError)
                {
                    if (!TrySendSealedToken(line))
                    {
                        Log.StandardOutput(_logger, _partition, _attempt, line);
                    }

                    continue;
                }

                if (_launcherLine?.Invoke(line) == true)
                {
                    continue;
                }

                lock (_tail)
                {
                    _tail.Enqueue(line);
                    if (_tail.Count > _tailLines)
                    {
                        _tail.Dequeue();
                    }
                }

                Log.StandardError(_logger, _partition, _attempt, line);
            }
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or InvalidOperationException)
        {
            // The pipe broke with the process; what was read is kept.
        }
    }
}
