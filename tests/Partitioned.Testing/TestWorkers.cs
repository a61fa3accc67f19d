using Partitioned.Clustering;

namespace Partitioned.Testing;

/// <summary>The test worker app (tests/Partitioned.TestWorker) and the worker processes it runs as.</summary>
public static class TestWorkers
{
    /// <summary>The built test worker dll.</summary>
    public static string Dll => ExampleProcess.DllOf("tests", "Partitioned.TestWorker");

    /// <summary>Process-runner options that start the test worker.</summary>
    public static ProcessRunnerOptions Options => ProcessRunnerOptions.ForAssembly(Dll);

    /// <summary>A process runner that starts the test worker, with options adjusted by <paramref name="configure"/>.</summary>
    public static ProcessRunner Runner(Func<ProcessRunnerOptions, ProcessRunnerOptions>? configure = null) =>
        new(configure is null ? Options : configure(Options));

    /// <summary>True while the process exists and has not exited (a zombie waiting to be reaped counts as gone).</summary>
    public static bool IsAlive(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var state = stat[(stat.LastIndexOf(')') + 2)..].TrimStart();
            return state.Length > 0 && state[0] is not ('Z' or 'X');
        }
        catch (IOException)
        {
            return false;
        }
    }

    /// <summary>Live processes whose environment holds <paramref name="variable"/>=<paramref name="value"/> (Linux /proc).</summary>
    public static IReadOnlyList<int> FindByEnvironment(string variable, string value)
    {
        var wanted = $"{variable}={value}";
        var found = new List<int>();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), out var pid))
            {
                continue;
            }

            try
            {
                if (File.ReadAllText(Path.Combine(directory, "environ")).Split('\0').Contains(wanted) && IsAlive(pid))
                {
                    found.Add(pid);
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Gone meanwhile, or not ours to read.
            }
        }

        return found;
    }
}
