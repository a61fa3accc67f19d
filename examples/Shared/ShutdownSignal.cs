using System.Runtime.InteropServices;

namespace Partitioned.Examples;

/// <summary>Completes on Ctrl+C (SIGINT) or SIGTERM, so the example stops gracefully and exits 0.</summary>
internal static class ShutdownSignal
{
    public static Task WaitAsync()
    {
        var stop = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            stop.TrySetResult();
        };
        var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
        {
            context.Cancel = true;
            stop.TrySetResult();
        });
        return stop.Task.ContinueWith(_ => term.Dispose(), TaskScheduler.Default);
    }
}
