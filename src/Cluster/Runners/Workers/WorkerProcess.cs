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
    private readonly string? _executor;
    private readonly int _tailLines;
    private readonly Queue<string> _tail = new();
    private readonly Task _standardOutput;
    private readonly Task _standardError;
    private readonly Func<string, bool>? _launcherLine;
    private readonly Func<string, bool>? _outputLine;
    private readonly TaskCompletionSource _tokenSent = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock _input = new();
    private string? _sealFor;
    private int _killed;

    private WorkerProcess(Process process, ClusterToken token, bool sealedToken, (int Partition, int Attempt, string? Executor) who, int tailLines, ILogger logger, Func<string, bool>? launcherLine, Func<string, bool>? outputLine)
    {
        _launcherLine = launcherLine;
        _outputLine = outputLine;

        // Under TLS the token goes sealed, once the worker asked for it with its key (see TokenSeal); set before the pumps start.
        _sealFor = sealedToken ? token.Value : null;
        _process = process;
        _logger = logger;
        (_partition, _attempt, _executor) = who;
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
    public static WorkerProcess Start(WorkerStart start, PartitionLaunch launch, int tailLines, ILogger logger, Func<string, bool>? launcherLine = null) =>
        Start(start, launch.Token, launch.Tls is not null, (launch.Partition, launch.Attempt, null), tailLines, logger, launcherLine, outputLine: null);

    /// <summary>Starts an executor's process (see <see cref="Start(WorkerStart, PartitionLaunch, int, ILogger, Func{string, bool}?)"/>).</summary>
    /// <param name="start">The program, arguments and environment.</param>
    /// <param name="token">The cluster token.</param>
    /// <param name="sealedToken">True under TLS: the token goes sealed to the key the executor sends.</param>
    /// <param name="executor">The executor's id, for its log lines.</param>
    /// <param name="tailLines">How many lines of standard error to keep.</param>
    /// <param name="logger">Where output lines go.</param>
    /// <param name="launcherLine">Reads a standard error line first: true when it was a launcher's own line.</param>
    /// <param name="outputLine">Reads a standard output line first: true when it was the executor's report (not logged).</param>
    /// <exception cref="WorkerProcessException">The process could not be started.</exception>
    public static WorkerProcess StartExecutor(WorkerStart start, ClusterToken token, bool sealedToken, string executor, int tailLines, ILogger logger, Func<string, bool>? launcherLine, Func<string, bool> outputLine) =>
        Start(start, token, sealedToken, (-1, -1, executor), tailLines, logger, launcherLine, outputLine);

    private static WorkerProcess Start(WorkerStart start, ClusterToken token, bool sealedToken, (int Partition, int Attempt, string? Executor) who, int tailLines, ILogger logger, Func<string, bool>? launcherLine, Func<string, bool>? outputLine)
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
            var what = who.Executor is { } executor ? $"executor {executor}" : null;
            throw new WorkerProcessException(who.Partition, who.Attempt, exitCode: null, $"could not be started{(what is null ? string.Empty : $" ({what})")} ({start}): {ex.Message}", [], ex);
        }

        var worker = new WorkerProcess(process, token, sealedToken, who, tailLines, logger, launcherLine, outputLine);
        if (sealedToken)
        {
            return worker;
        }

        try
        {
            // The token goes on standard input, never into the environment or onto the command line.
            lock (worker._input)
            {
                process.StandardInput.Write(token.Value + "\n");
                process.StandardInput.Flush();
            }
        }
        catch (IOException)
        {
            // It died before reading its input; its exit code and standard error say why.
        }

        worker._tokenSent.TrySetResult();
        return worker;
    }

    /// <summary>Completes once the token was written (at once in cleartext; under TLS when the worker asked for it sealed).</summary>
    public Task TokenSent => _tokenSent.Task;

    /// <summary>
    /// Writes one line on the process's standard input (an executor's command), after the token. False when the process
    /// is gone or its input closed.
    /// </summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> fired while the token was still to be sent.</exception>
    public async Task<bool> SendLineAsync(string line, CancellationToken cancellationToken = default)
    {
        await Task.WhenAny(_tokenSent.Task, Exited).WaitAsync(cancellationToken).ConfigureAwait(false);
        if (!_tokenSent.Task.IsCompleted || Exited.IsCompleted)
        {
            return false;
        }

        try
        {
            lock (_input)
            {
                _process.StandardInput.Write(line + "\n");
                _process.StandardInput.Flush();
            }

            return true;
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or InvalidOperationException)
        {
            return false;
        }
    }

    /// <summary>
    /// Closes the worker's standard input: to the worker, the driver is gone, so it abandons its attempt and exits.
    /// A launcher such as <c>srun</c> relays the end of file to the worker wherever it runs.
    /// </summary>
    public void CloseInput()
    {
        try
        {
            lock (_input)
            {
                _process.StandardInput.Close();
            }
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
            lock (_input)
            {
                _process.StandardInput.Write(sealedLine + "\n");
                _process.StandardInput.Flush();
            }
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or InvalidOperationException)
        {
            // It died meanwhile; its exit code and standard error say why.
        }

        _tokenSent.TrySetResult();
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
                    if (!TrySendSealedToken(line) && _outputLine?.Invoke(line) != true)
                    {
                        if (_executor is { } executor)
                        {
                            Log.ExecutorOutput(_logger, executor, line);
                        }
                        else
                        {
                            Log.StandardOutput(_logger, _partition, _attempt, line);
                        }
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

                if (_executor is { } executorId)
                {
                    Log.ExecutorError(_logger, executorId, line);
                }
                else
                {
                    Log.StandardError(_logger, _partition, _attempt, line);
                }
            }
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or InvalidOperationException)
        {
            // The pipe broke with the process; what was read is kept.
        }
    }
}
