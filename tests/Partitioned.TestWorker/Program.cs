using System.Globalization;
using System.Runtime.CompilerServices;
using Partitioned.Clustering;
using Partitioned.Datasets;
using Partitioned.Parquet;
using Partitioned.Routing;
using Partitioned.Server;
using Partitioned.TestWorker;
using Partitioned.Testing;

// Worker mode: the process runner starts this app once per partition attempt.
if (PartitionWorker.IsWorkerProcess)
{
    return await PartitionWorker.RunAsync(TestServers.All);
}

// Driver mode, for tests that need a driver process of their own (to kill it, for example).
return args switch
{
    ["drive", var partitions] => await DriveAsync(int.Parse(partitions, CultureInfo.InvariantCulture), new ClusterOptions { Runner = new ProcessRunner() }),
    ["drive-executors", var partitions, var perExecutor] => await DriveAsync(int.Parse(partitions, CultureInfo.InvariantCulture), new ClusterOptions
    {
        Runner = new ProcessRunner(new ProcessRunnerOptions { PartitionsPerExecutor = int.Parse(perExecutor, CultureInfo.InvariantCulture) }),
    }),
    ["drive-slurm", var partitions, var slurmConf, var hostAddress, .. var rest] => await DriveAsync(int.Parse(partitions, CultureInfo.InvariantCulture), new ClusterOptions
    {
        // An optional last argument: partitions per executor (one srun per executor).
        Runner = new SlurmRunner(new SlurmRunnerOptions { ConfigFile = slurmConf, WorkersOnOtherHosts = hostAddress != "127.0.0.1", PartitionsPerExecutor = rest is [var slots] ? int.Parse(slots, CultureInfo.InvariantCulture) : 1 }),
        CoordinatorBindAddress = hostAddress,
        Server = new PartitionServerOptions { BindAddress = hostAddress == "127.0.0.1" ? hostAddress : "0.0.0.0" },
    }),
    ["stream-parquet", var file] => await ParquetStreaming.RunAsync(file),
    ["write-parquet-and-hang", var folder] => await WriteParquetAndHangAsync(folder),
    _ => Usage(),
};

// Starts a cluster of this very app (the default command) on the given runner, prints "driver <pid>", "cluster <id>",
// one "worker <pid>" line per partition (the same pid for partitions of one executor) and "ready", then serves until it
// is killed.
static async Task<int> DriveAsync(int partitions, ClusterOptions options)
{
    options = options with { HealthCheckInterval = TimeSpan.FromMilliseconds(500) };
    await using var cluster = await Cluster.StartAsync(TestClusters.Integers(partitions * 2, partitions), TestServers.RowsWith(), options);
    var workers = await cluster.ScatterGetAsync<ServerInfo>("info", new ScatterOptions { RequireAll = true });
    Console.WriteLine($"driver {Environment.ProcessId}");
    Console.WriteLine($"cluster {cluster.Id}");
    foreach (var worker in workers.Values)
    {
        Console.WriteLine($"worker {worker.ProcessId}");
    }

    Console.WriteLine("ready");
    await Task.Delay(Timeout.Infinite);
    return 0;
}

// Writes a Parquet dataset into the folder whose second partition never ends: prints "writing" once the first part is
// in the write's staging folder, then waits there until it is killed.
static async Task<int> WriteParquetAndHangAsync(string folder)
{
    var dataset = PartitionedDataset.FromGenerator(2, (partition, cancellationToken) => partition == 0 ? Readings(cancellationToken) : Hang(cancellationToken));
    await dataset.WriteParquetAsync(folder);
    return 1;

    static async IAsyncEnumerable<SensorReading> Readings([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        for (var i = 0; i < 3; i++)
        {
            await Task.Yield();
            yield return SensorReading.Generate(i);
        }
    }

    static async IAsyncEnumerable<SensorReading> Hang([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        yield return SensorReading.Generate(3);
        Console.WriteLine("writing");
        await Task.Delay(Timeout.Infinite, cancellationToken);
    }
}

static int Usage()
{
    Console.Error.WriteLine("usage: Partitioned.TestWorker drive <partitions> | drive-executors <partitions> <per executor> | drive-slurm <partitions> <slurm.conf> <host address> [<per executor>] | stream-parquet <file> | write-parquet-and-hang <folder>   (worker mode is entered through PARTITIONED_WORKER=1)");
    return 2;
}
