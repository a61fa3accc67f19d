using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using Microsoft.Extensions.Logging;
using Partitioned.Server;
using Partitioned.Shared;

namespace Partitioned.Clustering;

/// <summary>
/// One worker process: started with the launch variables, handed the token on standard input (which then stays
/// open: its end-of-file tells the worker the driver is gone), its output logged line by line, the tail of its
/// standard error kept, and killed with its whole process tree when it must go.
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

    private WorkerProcess(Process process, PartitionLaunch launch, int tailLines, ILogger logger)
    {
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

    /// <exception cref="WorkerProcessException">The process could not be started.</exception>
    public static WorkerProcess Start(WorkerCommand command, PartitionLaunch launch, string server, ProcessRunnerOptions options, ILogger logger)
    {
        var start = new ProcessStartInfo(command.Executable)
        {
            UseShellExecute = false,
            CreateNoWindow = true,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardInputEncoding = s_utf8,
            StandardOutputEncoding = s_utf8,
            StandardErrorEncoding = s_utf8,
            WorkingDirectory = options.WorkingDirectory ?? Environment.CurrentDirectory,
        };
        foreach (var argument in command.Arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in options.EnvironmentVariables)
        {
            start.Environment[name] = value;
        }

        // Launch data only; the token never goes into the environment or onto the command line.
        start.Environment[WorkerProtocol.WorkerVariable] = "1";
        start.Environment[WorkerProtocol.CoordinatorVariable] = launch.Coordinator.ToString();
        start.Environment[WorkerProtocol.ClusterIdVariable] = launch.ClusterId;
        start.Environment[WorkerProtocol.PartitionVariable] = launch.Partition.ToString(CultureInfo.InvariantCulture);
        start.Environment[WorkerProtocol.AttemptVariable] = launch.Attempt.ToString(CultureInfo.InvariantCulture);
        start.Environment[WorkerProtocol.ServerVariable] = server;
        start.Environment[WorkerProtocol.ParentPidVariable] = Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
        start.Environment[WorkerProtocol.LogLevelVariable] = options.WorkerLogLevel.ToString();

        var process = new Process { StartInfo = start };
        try
        {
            process.Start();
        }
        catch (Exception ex) when (ex is Win32Exception or InvalidOperationException or IOException)
        {
            process.Dispose();
            throw new WorkerProcessException(launch.Partition, launch.Attempt, exitCode: null, $"could not be started ({command}): {ex.Message}", [], ex);
        }

        var worker = new WorkerProcess(process, launch, options.StandardErrorTailLines, logger);
        try
        {
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
    /// Asks the worker to stop by closing its standard input (to it, the driver is gone: it abandons its attempt and
    /// exits), and kills its process tree if it has not exited within <paramref name="grace"/>.
    /// </summary>
    public async Task StopAsync(TimeSpan grace)
    {
        try
        {
            _process.StandardInput.Close();
        }
        catch (IOException)
        {
            // Already gone.
        }

        try
        {
            await Exited.WaitAsync(grace).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            Log.KillingAfterGrace(_logger, _partition, _attempt, Id, grace);
            Kill();
            await Exited.ConfigureAwait(false);
        }
    }

    /// <summary>Kills the worker and every process it started, at once.</summary>
    public void Kill()
    {
        try
        {
            _process.Kill(entireProcessTree: true);
        }
        catch (Exception ex) when (ex is InvalidOperationException or Win32Exception or NotSupportedException)
        {
            // It exited meanwhile.
        }
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
                    Log.StandardOutput(_logger, _partition, _attempt, line);
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
