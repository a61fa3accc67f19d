using System.Text.Json;
using Partitioned.Datasets;
using Partitioned.Parquet;
using Xunit.Abstractions;

namespace Partitioned.Tests.Parquet;

/// <summary>
/// A million-row file partitioned by row group, streamed to worker processes by a driver process that measures its
/// own memory meanwhile: it must stay far below what the file takes in memory as rows.
/// </summary>
[Collection(ParquetMemoryCollection.Name)]
public sealed class ParquetDriverMemoryTests(ITestOutputHelper output) : IDisposable
{
    private const int Rows = 1_000_000;
    private const int RowGroupSize = 62_500;

    private readonly string _folder = Directory.CreateTempSubdirectory("partitioned-parquet-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public async Task MillionRows_ByRowGroup_ToWorkerProcesses_DriverHeapStaysFarBelowTheFileInMemory()
    {
        var file = (await PartitionedDataset.FromGenerator(1, _ => Enumerable.Range(0, Rows).Select(i => SensorReading.Generate(i)))
            .WriteParquetAsync(_folder, new ParquetWriteOptions { RowGroupSize = RowGroupSize }))[0];

        var (exitCode, stdout, stderr) = await ExampleProcess.RunAsync(TestWorkers.Dll, $"stream-parquet \"{file}\"", TimeSpan.FromMinutes(3));

        output.WriteLine(stdout);
        exitCode.Should().Be(0, stderr);
        var report = JsonDocument.Parse(stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Last(static l => l.StartsWith('{'))).RootElement;
        long Number(string name) => report.GetProperty(name).GetInt64();
        var (sum, nulls) = SensorReading.Expected(Rows);
        var (peak, floor, whole) = (Number("peakHeapAboveBaseline"), Number("afterStreamHeap") - Number("baselineHeap"), Number("wholeFileInMemory"));
        output.WriteLine($"file {Number("fileBytes") / 1e6:0.0} MB on disk, {whole / 1e6:0.0} MB as rows in memory; driver live heap: peak {peak / 1e6:0.0} MB above its baseline " +
            $"({100.0 * peak / whole:0.0}% of the file in memory), {floor / 1e6:0.0} MB still live once the stream ended (the reader's pooled page buffers), so {(peak - floor) / 1e6:0.0} MB " +
            $"held for streaming ({100.0 * (peak - floor) / whole:0.0}%); driver resident set {Number("baselineRss") / 1e6:0} MB -> peak {Number("peakRss") / 1e6:0} MB; " +
            $"{Number("partitions")} partitions in {Number("workers")} worker processes, {report.GetProperty("streamSeconds").GetDouble():0.0} s");

        Number("rows").Should().Be(Rows);
        report.GetProperty("sum").GetDouble().Should().Be(sum);
        Number("missingQuality").Should().Be(nulls);
        Number("partitions").Should().Be(Rows / RowGroupSize);
        Number("workers").Should().Be(Rows / RowGroupSize, "every row group went to a worker process of its own");
        whole.Should().BeGreaterThan(50_000_000, "a million readings take tens of MB as objects");
        peak.Should().BeLessThan(whole * 2 / 5, "the driver never holds the file, only the reader's pooled page buffers and a couple of decoded row groups");
        (peak - floor).Should().BeLessThan(whole / 5, "beyond the buffers pooled for reuse, the driver holds at most two decoded row groups of 62,500 rows at a time");
    }
}
