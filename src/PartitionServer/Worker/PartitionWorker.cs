using System.Runtime.InteropServices;
using Partitioned.Protocol;

namespace Partitioned.Server;

/// <summary>
/// Worker mode: lets your own app run one partition attempt in a child process started by the process runner.
/// Put one line at the top of <c>Program.cs</c>, before anything else runs:
/// <code>
/// if (PartitionWorker.IsWorkerProcess) return await PartitionWorker.RunAsync(MyServers.Search, MyServers.Lists);
/// </code>
/// </summary>
/// <remarks>
/// <para>
/// The driver starts the worker with the launch data in <c>PARTITIONED_*</c> environment variables, writes the
/// cluster token as the first line of its standard input and keeps that pipe open; everything else (launch data,
/// rows, results) travels over HTTP with the coordinator, so nothing your code writes to standard output or
/// standard error can corrupt it. The README documents the protocol.
/// </para>
/// <para>
/// Only the definitions passed here can run, looked up by the name the driver asks for; their settings are read
/// from JSON into <see cref="IPartitionServerDefinition.SettingsType"/>. No other type is ever loaded.
/// </para>
/// <para>
/// When the driver goes away (standard input reaches end-of-file, or the driver's process is gone), the worker
/// abandons its attempt and returns <see cref="WorkerExitCodes.Abandoned"/>; if it has not exited a few seconds
/// later (code that ignores cancellation), it ends the process itself.
/// </para>
/// </remarks>
public static class PartitionWorker
{
    /// <summary>True when this process was started as a partition worker (<c>PARTITIONED_WORKER=1</c>).</summary>
    public static bool IsWorkerProcess => Environment.GetEnvironmentVariable(WorkerProtocol.WorkerVariable) == "1";

    /// <summary>Runs the partition attempt this worker process was started for; return the result from <c>Main</c>.</summary>
    /// <param name="definitions">Every server definition the driver may ask this app to run.</param>
    /// <returns>The process exit code: one of <see cref="WorkerExitCodes"/>.</returns>
    public static Task<int> RunAsync(params IPartitionServerDefinition[] definitions) => RunAsync(definitions, CancellationToken.None);

    /// <summary>Runs the partition attempt this worker process was started for; return the result from <c>Main</c>.</summary>
    /// <param name="definitions">Every server definition the driver may ask this app to run.</param>
    /// <param name="cancellationToken">Abandons the attempt.</param>
    /// <returns>The process exit code: one of <see cref="WorkerExitCodes"/>.</returns>
    public static async Task<int> RunAsync(IEnumerable<IPartitionServerDefinition> definitions, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(definitions);

        // Ctrl+C in a terminal, or a service manager stopping the app, signals the driver and its workers together.
        // The driver then stops every partition gracefully; a worker that died of the same signal would turn that
        // stop into failed attempts. So workers leave signals to their driver, and exit when it tells them to or
        // when it is gone. (SIGKILL still ends a worker at once.)
        // A worker an engine launched on its own (token file mode) has no such driver: there the signal is its engine
        // stopping it, and it abandons its attempt.
        var session = new WorkerSession([.. definitions], Environment.GetEnvironmentVariable, Console.OpenStandardInput(), Console.Error, HardExit);
        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, context => OnSignal(session, context));
        using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context => OnSignal(session, context));
        return await session.RunAsync(cancellationToken).ConfigureAwait(false);
    }

    private static void OnSignal(WorkerSession session, PosixSignalContext context)
    {
        context.Cancel = true;
        if (!session.TryStopForEngine(context.Signal.ToString()))
        {
            Console.Error.WriteLine($"PartitionWorker: {context.Signal} left to the driver, which stops this worker (it also exits once the driver is gone).");
        }
    }

    // The last resort for a worker whose driver is gone but whose code ignores cancellation: exit normally
    // (flushing what can be flushed), and if even that hangs in a shutdown handler, fail fast.
    private static void HardExit(int exitCode, string reason)
    {
        Console.Error.WriteLine($"PartitionWorker: still running {WorkerSession.HardExitGrace.TotalSeconds:0} s after {reason}; exiting now.");
        var failFast = new Thread(() =>
        {
            Thread.Sleep(TimeSpan.FromSeconds(2));
            Environment.FailFast($"PartitionWorker: exiting after '{reason}' hung.");
        })
        {
            IsBackground = true,
        };
        failFast.Start();
        Environment.Exit(exitCode);
    }
}
