using System.Diagnostics;

namespace Partitioned.Testing;

/// <summary>Counts this process's open sockets and threads (Linux /proc), to catch leaks across many cluster runs.</summary>
public static class ProcessResources
{
    public static int OpenSockets()
    {
        var count = 0;
        foreach (var fd in Directory.EnumerateFileSystemEntries("/proc/self/fd"))
        {
            try
            {
                if (new FileInfo(fd).LinkTarget is { } target && target.StartsWith("socket:", StringComparison.Ordinal))
                {
                    count++;
                }
            }
            catch (IOException)
            {
                // The descriptor closed while we looked.
            }
        }

        return count;
    }

    public static int Threads()
    {
        using var process = Process.GetCurrentProcess();
        return process.Threads.Count;
    }
}
