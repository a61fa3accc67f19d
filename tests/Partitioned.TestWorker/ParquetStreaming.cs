using System.Diagnostics;
using System.Text.Json;
using Partitioned.Clustering;
using Partitioned.Datasets;
using Partitioned.Parquet;
using Partitioned.Testing;

namespace Partitioned.TestWorker;

/// <summary>
/// A driver that measures itself: streams a Parquet file of readings, one partition per row group, to worker
/// processes of this app, sampling its own live managed heap and resident set meanwhile; then loads the whole file
/// into a list to measure what it would take in memory; prints one JSON line with the numbers.
/// </summary>
internal static class ParquetStreaming
{
    public static async Task<int> RunAsync(string file)
    {
        var baselineHeap = GC.GetTotalMemory(forceFullCollection: true);
        var baselineRss = ResidentBytes();
        var clock = Stopwatch.StartNew();
        var dataset = await PartitionedDataset.FromParquetFilesAsync<SensorReading>([file], new ParquetReadOptions { PartitionBy = ParquetPartitioning.RowGroup });

        using var stop = new CancellationTokenSource();
        var peaks = Task.Run(() => SamplePeaksAsync(stop.Token));
        IReadOnlyList<ReadingsSummary> summaries;
        await using (var cluster = await Cluster.StartAsync(dataset, ReadingsServer.Definition, new ClusterOptions { Runner = new ProcessRunner(), StartTimeout = TimeSpan.FromSeconds(120) }))
        {
            summaries = await (await cluster.StopAsync()).CollectAsync();
        }

        await stop.CancelAsync();
        var (peakHeap, peakRss) = await peaks;
        var streamed = clock.Elapsed;
        var afterStreamHeap = GC.GetTotalMemory(forceFullCollection: true);

        var before = GC.GetTotalMemory(forceFullCollection: true);
        var all = await dataset.CollectAsync();
        var wholeFile = GC.GetTotalMemory(forceFullCollection: true) - before;
        GC.KeepAlive(all);

        Console.WriteLine(JsonSerializer.Serialize(new
        {
            rows = summaries.Sum(static s => s.Count),
            sum = summaries.Sum(static s => s.Sum),
            missingQuality = summaries.Sum(static s => s.MissingQuality),
            partitions = dataset.PartitionCount,
            workers = summaries.Select(static s => s.ProcessId).Distinct().Count(),
            fileBytes = new FileInfo(file).Length,
            baselineHeap,
            peakHeap,
            peakHeapAboveBaseline = peakHeap - baselineHeap,
            afterStreamHeap,
            wholeFileInMemory = wholeFile,
            baselineRss,
            peakRss,
            streamSeconds = streamed.TotalSeconds,
        }));
        return 0;
    }

    /// <summary>
    /// The highest live managed heap (what a full collection keeps: the heap without garbage that the GC's budgets
    /// leave around for a while) and the highest resident set seen, every 100 ms. A row group streams for far longer.
    /// </summary>
    private static async Task<(long Heap, long Rss)> SamplePeaksAsync(CancellationToken cancellationToken)
    {
        long heap = 0, rss = 0;
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(100));
        do
        {
            heap = Math.Max(heap, GC.GetTotalMemory(forceFullCollection: true));
            rss = Math.Max(rss, ResidentBytes());
        }
        while (await timer.WaitForNextTickAsync(CancellationToken.None) && !cancellationToken.IsCancellationRequested);

        return (heap, rss);
    }

    private static long ResidentBytes()
    {
        using var process = Process.GetCurrentProcess();
        return process.WorkingSet64;
    }
}
