using System.Diagnostics;

namespace Partitioned.Tests.Replicas;

internal static class ReplicaProcesses
{
    /// <summary>SIGKILL, like kill -9.</summary>
    public static void Kill(int pid)
    {
        using var process = Process.GetProcessById(pid);
        process.Kill();
    }
}
