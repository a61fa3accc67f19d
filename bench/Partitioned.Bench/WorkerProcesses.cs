using System.Globalization;

namespace Partitioned.Bench;

/// <summary>The worker processes of one cluster run (found by the cluster id in their environment), and what they cost.</summary>
internal static class WorkerProcesses
{
    private static readonly double s_ticksPerSecond = 100; // USER_HZ on Linux

    /// <summary>Live processes whose environment holds <c>PARTITIONED_CLUSTER_ID=clusterId</c>: workers of any runner on this machine, Slurm's too.</summary>
    public static IReadOnlyList<int> Of(string clusterId, int? partition = null)
    {
        var wanted = $"PARTITIONED_CLUSTER_ID={clusterId}";
        var wantedPartition = partition is { } p ? $"PARTITIONED_PARTITION={p.ToString(CultureInfo.InvariantCulture)}" : null;
        var self = Environment.ProcessId;
        var found = new List<int>();
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), out var pid) || pid == self)
            {
                continue;
            }

            try
            {
                // srun carries the variables too: the worker is the process that is not srun.
                var environment = File.ReadAllText(Path.Combine(directory, "environ")).Split('\0');
                if (environment.Contains(wanted) && (wantedPartition is null || environment.Contains(wantedPartition))
                    && !Path.GetFileName(File.ReadAllText(Path.Combine(directory, "cmdline")).Split('\0')[0]).Equals("srun", StringComparison.Ordinal))
                {
                    found.Add(pid);
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // Gone meanwhile.
            }
        }

        return found;
    }

    /// <summary>The attempt a worker process runs (from its environment), or -1.</summary>
    public static int Attempt(int pid)
    {
        try
        {
            var value = File.ReadAllText($"/proc/{pid}/environ").Split('\0').FirstOrDefault(static v => v.StartsWith("PARTITIONED_ATTEMPT=", StringComparison.Ordinal));
            return value is null ? -1 : int.Parse(value["PARTITIONED_ATTEMPT=".Length..], CultureInfo.InvariantCulture);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return -1;
        }
    }

    /// <summary>The resident set of a process, in MB.</summary>
    public static double ResidentMb(int pid)
    {
        try
        {
            var line = File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
            return double.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024;
        }
        catch (Exception ex) when (ex is IOException or InvalidOperationException)
        {
            return 0;
        }
    }

    /// <summary>The CPU time (user + system) a process used so far, in ms.</summary>
    public static double CpuMs(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) * 1000 / s_ticksPerSecond;
        }
        catch (IOException)
        {
            return 0;
        }
    }
}
