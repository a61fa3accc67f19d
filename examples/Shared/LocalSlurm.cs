using System.Diagnostics;

namespace Partitioned.Examples;

/// <summary>
/// The repository's local Slurm cluster (<c>scripts/slurm-local.sh</c>: three nodes on this machine, each in a network
/// namespace of its own): started on request, and what a driver needs to run partitions on it.
/// </summary>
/// <param name="ConfigFile">Its slurm.conf (what <c>SLURM_CONF</c> must name).</param>
/// <param name="HostAddress">This machine's address on the cluster network: where the coordinator listens for the nodes.</param>
/// <param name="NodesElsewhere">True when the nodes have addresses of their own; false when they share loopback.</param>
/// <param name="Instance">Which of the clusters that can run side by side (0 to 9; each has its own namespaces, addresses and ports).</param>
internal sealed record LocalSlurm(string ConfigFile, string HostAddress, bool NodesElsewhere, int Instance = 0)
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromMinutes(5);

    /// <summary>The script, found above this program's folder (the repository's <c>scripts/</c>).</summary>
    public static string Script { get; } = FindScript();

    /// <summary>
    /// The instance <c>PARTITIONED_SLURM_INSTANCE</c> names (0 to 9), else 0: how a second checkout runs its examples and
    /// tests on a cluster of its own beside the first.
    /// </summary>
    public static int EnvironmentInstance =>
        int.TryParse(Environment.GetEnvironmentVariable("PARTITIONED_SLURM_INSTANCE"), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var instance) && instance is >= 0 and <= 9 ? instance : 0;

    /// <summary>True when the cluster already runs.</summary>
    public static async Task<bool> IsRunningAsync(int instance = 0) => (await RunAsync(instance, "status")).ExitCode == 0;

    /// <summary>Starts the cluster (installing slurm-wlm and munge with apt-get when missing; needs root) and says how to use it.</summary>
    public static async Task<LocalSlurm> StartAsync(int instance = 0)
    {
        await RunScriptAsync(instance, "start");
        var variables = (await RunScriptAsync(instance, "env")).Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(static line => line.Replace("export ", string.Empty, StringComparison.Ordinal).Split('=', 2))
            .ToDictionary(static pair => pair[0], static pair => pair[1]);
        var hostAddress = variables["PARTITIONED_SLURM_HOST_ADDRESS"];
        return new LocalSlurm(variables["SLURM_CONF"], hostAddress, hostAddress != "127.0.0.1", instance);
    }

    /// <summary>Stops every daemon and removes the cluster's namespaces and state.</summary>
    public static Task StopAsync(int instance = 0) => RunScriptAsync(instance, "stop");

    /// <summary>Runs the script for instance 0 with <paramref name="arguments"/> and returns its standard output.</summary>
    /// <exception cref="InvalidOperationException">It failed; the message quotes what it said.</exception>
    public static Task<string> RunScriptAsync(params string[] arguments) => RunScriptAsync(0, arguments);

    /// <summary>Runs the script for <paramref name="instance"/> with <paramref name="arguments"/> and returns its standard output.</summary>
    /// <exception cref="InvalidOperationException">It failed; the message quotes what it said.</exception>
    public static async Task<string> RunScriptAsync(int instance, params string[] arguments)
    {
        var (exitCode, output, error) = await RunAsync(instance, arguments);
        return exitCode == 0 ? output : throw new InvalidOperationException($"slurm-local.sh {string.Join(' ', arguments)} (instance {instance}) failed with exit code {exitCode}: {error.Trim()}");
    }

    private static async Task<(int ExitCode, string Output, string Error)> RunAsync(int instance, params string[] arguments)
    {
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.Environment["PARTITIONED_SLURM_INSTANCE"] = instance.ToString(System.Globalization.CultureInfo.InvariantCulture);
        start.ArgumentList.Add(Script);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(s_timeout);
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await output, await error);
    }

    private static string FindScript()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            var script = Path.Combine(directory.FullName, "scripts", "slurm-local.sh");
            if (File.Exists(script))
            {
                return script;
            }
        }

        return Path.Combine("scripts", "slurm-local.sh");
    }
}
