using Partitioned.Datasets;
using Partitioned.Parquet;

namespace Partitioned.Tests.Parquet;

/// <summary>The hidden staging folders of Parquet writes: what a killed writer leaves behind, and what a later write removes.</summary>
public sealed class ParquetStagingTests : IDisposable
{
    private const string Staging = ".partitioned-write-";

    private readonly string _folder = Directory.CreateTempSubdirectory("partitioned-parquet-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public async Task WriteParquetAsync_AfterAWriterProcessWasKilled_RemovesItsStagingFolder_ButNotALiveWritersOne()
    {
        string killed;
        await using (var writer = await StartHangingWriterAsync())
        {
            killed = StagingFolders().Should().ContainSingle().Subject;
            writer.Signal("KILL");
            await writer.WaitForExitAsync();
        }

        await using var live = await StartHangingWriterAsync();
        var held = StagingFolders().Should().ContainSingle(f => f != killed, "the killed writer left its staging folder behind").Subject;

        var files = await Readings(3).WriteParquetAsync(_folder);

        StagingFolders().Should().Equal([held], "the killed writer's staging folder is stale, the live writer's is in use");
        var read = await PartitionedDataset.FromParquetFolderAsync<SensorReading>(_folder);
        (await read.CollectPartitionsAsync()).Should().BeEquivalentTo(await Readings(3).CollectPartitionsAsync(), o => o.WithStrictOrdering());
        files.Should().HaveCount(3);

        live.Signal("KILL");
        await live.WaitForExitAsync();
        await Readings(2).WriteParquetAsync(_folder);
        StagingFolders().Should().BeEmpty("once its writer died, the next write removes that folder too");
    }

    [Fact]
    public async Task WriteParquetAsync_StagingFoldersWithoutALock_AreRemovedOnlyWhenOld_AndOtherNamesAreLeftAlone()
    {
        var longAgo = DateTime.UtcNow.AddHours(-1);
        var abandoned = MakeFolder(Staging + "0123456789ab", longAgo);
        var fresh = MakeFolder(Staging + "abcdef012345", DateTime.UtcNow.AddSeconds(-1));
        var otherNames = new[] { Staging + "notours", Staging + "0123456789AB", Staging + "0123456789abc", ".other-0123456789ab" }
            .Select(name => MakeFolder(name, longAgo)).ToList();

        await Readings(2).WriteParquetAsync(_folder);

        Directory.Exists(abandoned).Should().BeFalse("an old staging folder without a lock is an abandoned write's (an earlier version's, or one killed before it took its lock)");
        Directory.Exists(fresh).Should().BeTrue("a write that has just made its folder has not taken its lock yet");
        otherNames.Should().OnlyContain(static f => Directory.Exists(f), "only names the writer makes are touched");
    }

    private async Task<RunningProcess> StartHangingWriterAsync()
    {
        var writer = RunningProcess.Start(TestWorkers.Dll, $"write-parquet-and-hang \"{_folder}\"");
        await writer.WaitForLineAsync(static l => l == "writing", TimeSpan.FromSeconds(60));
        return writer;
    }

    private List<string> StagingFolders() => [.. Directory.EnumerateDirectories(_folder, Staging + "*").Order(StringComparer.Ordinal)];

    private string MakeFolder(string name, DateTime changed)
    {
        var path = Path.Combine(_folder, name);
        Directory.CreateDirectory(path);
        File.WriteAllText(Path.Combine(path, "part-00000.parquet"), "half written");
        Directory.SetLastWriteTimeUtc(path, changed);
        return path;
    }

    private static PartitionedDataset<SensorReading> Readings(int partitions) =>
        PartitionedDataset.FromPartitions(Enumerable.Range(0, partitions).Select(p => Enumerable.Range(p * 3, 3).Select(static i => SensorReading.Generate(i)).ToArray()));
}
