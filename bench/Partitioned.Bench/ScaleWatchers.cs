using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Partitioned.Client;

namespace Partitioned.Bench;

/// <summary>
/// Remote Watch clients for the coordinator-alone benchmark, in processes of their own (as remote clients are): this app
/// started again as <c>scale-watch &lt;coordinator&gt; &lt;clients&gt;</c>, the client key on its first line of standard input.
/// Each process connects its clients, says <c>ready</c>, records when each client's mirror applied each version
/// (<see cref="Stopwatch.GetTimestamp"/>: the machine's monotonic clock, the same in every process), and on
/// <c>until &lt;version&gt;</c> waits until every mirror has it and prints its samples.
/// </summary>
internal sealed class ScaleWatchers : IAsyncDisposable
{
    private readonly List<Process> _processes = [];

    /// <summary>
    /// A connect timeout of 2 minutes: every connect reads a 10,000-partition snapshot, and a hundred of them on a shared
    /// 2-core machine (load 20-60 while measured) took longer than the default 30 s.
    /// </summary>
    public static PartitionedClientOptions ClientOptions { get; } = new() { ConnectTimeout = TimeSpan.FromMinutes(2) };

    /// <summary>Whether the watcher processes run the background garbage collector (the runtime's default); <c>--scale-watcher-gc blocking</c> turns it off.</summary>
    public static bool GcConcurrent { get; set; } = true;

    private ScaleWatchers()
    {
    }

    /// <summary>The processes' resident sets once ready, in MB.</summary>
    public IReadOnlyList<double> ResidentMb { get; private set; } = [];

    /// <summary>Starts <paramref name="processes"/> processes holding <paramref name="clients"/> clients in all, and waits until every one is ready.</summary>
    public static async Task<ScaleWatchers> StartAsync(Uri coordinator, string key, int clients, int processes)
    {
        var watchers = new ScaleWatchers();
        var host = Environment.ProcessPath!;
        var viaDotnet = Path.GetFileNameWithoutExtension(host) == "dotnet";
        for (var i = 0; i < processes; i++)
        {
            var count = (clients / processes) + (i < clients % processes ? 1 : 0);
            var start = new ProcessStartInfo(host) { RedirectStandardInput = true, RedirectStandardOutput = true, UseShellExecute = false };

            // A remote client is an ordinary app: the runtime's default (background) garbage collector, not the blocking one
            // this harness runs with for steady serving numbers. With the blocking one, full collections of 25 mirrors of
            // 10,000 partitions held changes for up to 2 s (the p99 of that run).
            start.Environment["DOTNET_gcConcurrent"] = GcConcurrent ? "1" : "0";
            if (viaDotnet)
            {
                start.ArgumentList.Add(typeof(ScaleWatchers).Assembly.Location);
            }

            foreach (var argument in (string[])["scale-watch", coordinator.ToString(), count.ToString(CultureInfo.InvariantCulture)])
            {
                start.ArgumentList.Add(argument);
            }

            var process = Process.Start(start)!;
            watchers._processes.Add(process);
            await process.StandardInput.WriteLineAsync(key);
            await process.StandardInput.FlushAsync();
        }

        foreach (var process in watchers._processes)
        {
            var line = await process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromMinutes(5));
            if (line != "ready")
            {
                throw new InvalidOperationException($"a watcher process said '{line}' instead of ready");
            }
        }

        watchers.ResidentMb = [.. watchers._processes.Select(static p => WorkerProcesses.ResidentMb(p.Id))];
        return watchers;
    }

    /// <summary>Waits until every client applied <paramref name="version"/>; returns every (version, timestamp) each client saw.</summary>
    public async Task<List<(long Version, long At)>> CollectAsync(long version)
    {
        var samples = new List<(long, long)>();
        foreach (var process in _processes)
        {
            await process.StandardInput.WriteLineAsync($"until {version.ToString(CultureInfo.InvariantCulture)}");
            await process.StandardInput.FlushAsync();
        }

        foreach (var process in _processes)
        {
            while (await process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromMinutes(2)) is { } line && line != "end")
            {
                var parts = line.Split(' ');
                samples.Add((long.Parse(parts[0], CultureInfo.InvariantCulture), long.Parse(parts[1], CultureInfo.InvariantCulture)));
            }
        }

        return samples;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var process in _processes)
        {
            process.StandardInput.Close();
            if (!process.WaitForExit(TimeSpan.FromSeconds(10)))
            {
                process.Kill(entireProcessTree: true);
            }

            await process.WaitForExitAsync();
            process.Dispose();
        }
    }

    /// <summary>The watcher process: <c>scale-watch &lt;coordinator&gt; &lt;clients&gt;</c>.</summary>
    public static async Task<int> RunChildAsync(string[] args)
    {
        var coordinator = new Uri(args[1]);
        var count = int.Parse(args[2], CultureInfo.InvariantCulture);
        var key = Console.ReadLine() ?? throw new InvalidOperationException("no client key on standard input");
        var clients = new List<PartitionedClient>();
        var seen = new ConcurrentBag<(long Version, long At)>();
        foreach (var batch in Enumerable.Range(0, count).Chunk(5))
        {
            clients.AddRange(await Task.WhenAll(batch.Select(_ => PartitionedClient.ConnectAsync(coordinator, key, ScaleWatchers.ClientOptions))));
        }

        foreach (var client in clients)
        {
            client.Directory.Changed += (_, change) => seen.Add((change.Snapshot.Version, Stopwatch.GetTimestamp()));
        }

        Console.WriteLine("ready");
        while (Console.ReadLine() is { } line)
        {
            var version = long.Parse(line["until ".Length..], CultureInfo.InvariantCulture);
            await Task.WhenAll(clients.Select(c => c.Directory.WaitUntilAsync(s => s.Version >= version, CancellationToken.None))).WaitAsync(TimeSpan.FromSeconds(60));
            foreach (var (v, at) in seen)
            {
                Console.WriteLine($"{v.ToString(CultureInfo.InvariantCulture)} {at.ToString(CultureInfo.InvariantCulture)}");
            }

            Console.WriteLine("end");
        }

        foreach (var client in clients)
        {
            await client.DisposeAsync();
        }

        return 0;
    }
}
