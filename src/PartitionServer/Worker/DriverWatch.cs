using System.Diagnostics;
using System.Text;

namespace Partitioned.Server;

/// <summary>
/// The worker's link to its driver. The driver writes the cluster token as the first line of the worker's standard
/// input and keeps the pipe open for the worker's whole life, so end-of-file on standard input means the driver is
/// gone (it exited, was killed, or abandoned the attempt). As a backup, the driver's process id is polled
/// (unless it is 0: a driver that is not a local process).
/// </summary>
internal sealed class DriverWatch : IDriverLink
{
    private static readonly TimeSpan s_parentPollInterval = TimeSpan.FromSeconds(1);

    private readonly Stream _input;
    private readonly int _parentPid;
    private readonly Action<string>? _lines;
    private readonly CancellationTokenSource _gone = new();
    private readonly TaskCompletionSource<string?> _token = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Timer? _parentPoll;
    private string? _reason;

    /// <param name="input">Standard input.</param>
    /// <param name="parentPid">The driver's process id to poll, or 0.</param>
    /// <param name="lines">Takes every line after the token (an executor's commands); null: they are ignored.</param>
    public DriverWatch(Stream input, int parentPid, Action<string>? lines = null)
    {
        _input = input;
        _parentPid = parentPid;
        _lines = lines;
    }

    /// <summary>Fires when the driver is gone.</summary>
    public CancellationToken Gone => _gone.Token;

    /// <summary>Why <see cref="Gone"/> fired, or null.</summary>
    public string? Reason => Volatile.Read(ref _reason);

    /// <summary>Starts watching; the task completes with the first line of standard input (null at end-of-file).</summary>
    public Task<string?> StartAsync()
    {
        // A dedicated thread: reading a pipe blocks, and it blocks for the worker's whole life.
        var reader = new Thread(WatchInput) { IsBackground = true, Name = "Partitioned driver watch" };
        reader.Start();
        if (_parentPid > 0)
        {
            _parentPoll = new Timer(_ => CheckParent(), null, s_parentPollInterval, s_parentPollInterval);
        }

        return _token.Task;
    }

    public void Dispose()
    {
        _parentPoll?.Dispose();
        _gone.Dispose();
    }

    /// <summary>True while a process with this id exists and is not a zombie.</summary>
    internal static bool IsAlive(int pid)
    {
        if (OperatingSystem.IsLinux())
        {
            try
            {
                // "pid (comm) S ...": the state follows the last ')'. Z (zombie) and X (dead) have exited.
                var stat = File.ReadAllText($"/proc/{pid}/stat");
                var state = stat[(stat.LastIndexOf(')') + 2)..].TrimStart();
                return state.Length > 0 && state[0] is not ('Z' or 'X');
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentOutOfRangeException)
            {
                return false;
            }
        }

        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException)
        {
            return false;
        }
    }

    private void WatchInput()
    {
        try
        {
            using var reader = new StreamReader(_input, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false), detectEncodingFromByteOrderMarks: true, bufferSize: 256);
            var token = reader.ReadLine();
            _token.TrySetResult(token);
            if (token is null)
            {
                Signal("standard input ended before the cluster token arrived");
                return;
            }

            if (_lines is not null)
            {
                // An executor's commands, one per line, until end-of-file.
                while (reader.ReadLine() is { } line)
                {
                    _lines(line);
                }
            }
            else
            {
                // Nothing else is expected after the token; anything that arrives is ignored until end-of-file.
                var buffer = new char[256];
                while (reader.Read(buffer, 0, buffer.Length) > 0)
                {
                }
            }

            Signal("the driver closed the worker's standard input");
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException)
        {
            _token.TrySetResult(null);
            Signal($"reading standard input failed ({ex.Message})");
        }
    }

    private void CheckParent()
    {
        if (!IsAlive(_parentPid))
        {
            Signal($"the driver process {_parentPid} is gone");
        }
    }

    private void Signal(string reason)
    {
        if (Interlocked.CompareExchange(ref _reason, reason, null) is null)
        {
            try
            {
                _gone.Cancel();
            }
            catch (ObjectDisposedException)
            {
                // The worker already finished.
            }
        }
    }
}
