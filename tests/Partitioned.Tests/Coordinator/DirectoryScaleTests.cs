using System.Collections.Immutable;
using Partitioned.Client;
using Partitioned.Coordination;
using Partitioned.Directories;

namespace Partitioned.Tests.Coordinator;

/// <summary>
/// The directory at scale (issue 20): what a change keeps and builds must not grow with the directory times its history
/// or its partitions. A directory of 10,000 partitions once kept 1,024 snapshots of every partition (and a sorted host map
/// each), and a remote mirror's reset made one snapshot per partition that differed.
/// </summary>
public sealed class DirectoryScaleTests
{
    [Fact]
    public void Register_TenThousandPartitions_HistoryKeepsAtMostItsEntryBudget()
    {
        const int partitions = 10_000;
        var directory = new PartitionDirectory(partitions);

        for (var partition = 0; partition < partitions; partition++)
        {
            directory.Register(partition, 0, new Uri($"http://127.0.0.1:{1000 + (partition % 50_000)}/p/{partition}/"));
        }

        directory.Current.IsComplete.Should().BeTrue();
        directory.HistoryCount.Should().Be(PartitionDirectory.HistoryEntryBudget / partitions, "the kept changes' snapshots together hold at most the budget of entries");
        ((long)directory.HistoryCount * partitions).Should().BeLessThanOrEqualTo(PartitionDirectory.HistoryEntryBudget);

        // A watcher that resumes within what is kept gets the changes; one from further back gets the snapshot.
        var kept = directory.Current.Version - directory.HistoryCount;
        var (reset, changes) = directory.Subscribe(kept, CancellationToken.None);
        using (changes)
        {
            reset.Should().BeNull();
        }

        var (tooOld, stream) = directory.Subscribe(kept - 1, CancellationToken.None);
        using (stream)
        {
            tooOld.Should().BeSameAs(directory.Current);
        }
    }

    [Fact]
    public void Register_SmallDirectory_KeepsTheFullHistory()
    {
        var directory = new PartitionDirectory(2);

        for (var attempt = 0; attempt < PartitionDirectory.HistoryCapacity + 10; attempt++)
        {
            directory.Register(attempt % 2, attempt, new Uri($"http://127.0.0.1:{2000 + attempt}/"));
        }

        directory.HistoryCount.Should().Be(PartitionDirectory.HistoryCapacity);
    }

    [Fact]
    public void Change_EveryKind_CountsAndHostsMatchTheEntries()
    {
        var directory = new PartitionDirectory(5, replicas: 2);
        var random = new Random(20);
        var attempts = new int[5];
        for (var step = 0; step < 300; step++)
        {
            var partition = random.Next(5);
            switch (random.Next(6))
            {
                case 0 or 1:
                    directory.Register(partition, attempts[partition]++, new Uri($"http://127.0.0.1:{3000 + step}/"));
                    break;
                case 2:
                    directory.MarkLost(partition, attempts[partition] - 1, "lost in the test");
                    break;
                case 3:
                    directory.MarkSuspected(partition, attempts[partition] - 1, "suspected in the test");
                    break;
                case 4:
                    directory.ReportError(partition, Math.Max(0, attempts[partition] - 1), "error in the test");
                    break;
                default:
                    if (random.Next(10) == 0)
                    {
                        directory.MarkFailed(partition, random.Next(2), "failed in the test");
                    }

                    break;
            }

            var current = directory.Current;
            var counted = new DirectorySnapshot(current.Version, current.Partitions);
            current.ServingCount.Should().Be(counted.ServingCount);
            current.ServingReplicaCount.Should().Be(counted.ServingReplicaCount);
            current.ReplicaCount.Should().Be(counted.ReplicaCount);
            current.IsComplete.Should().Be(counted.IsComplete);
            current.IsFullStrength.Should().Be(counted.IsFullStrength);
            current.Hosts.Should().Equal(counted.Hosts);
        }
    }

    [Fact]
    public void Reset_ManyPartitionsDiffer_EveryChangeCarriesTheFreshSnapshot()
    {
        var since = DateTimeOffset.UnixEpoch;
        ImmutableArray<PartitionEntry> Entries(Func<int, bool> serving) => [.. Enumerable.Range(0, 1000).Select(p => serving(p)
            ? PartitionEntry.FromReplicas(p, [new ReplicaEntry(0, PartitionState.Serving, 0, new Uri($"http://127.0.0.1:{4000 + p}/"), null, since)])
            : PartitionEntry.FromReplicas(p, [new ReplicaEntry(0, PartitionState.Pending, -1, null, null, since)]))];
        var mirror = new PartitionDirectoryMirror("a", new DirectorySnapshot(3, Entries(static _ => false)));
        var changes = new List<PartitionChange>();
        mirror.Changed += (_, change) => changes.Add(change);
        var fresh = new DirectorySnapshot(900, Entries(static p => p % 2 == 0));

        mirror.Reset("b", fresh);

        changes.Should().HaveCount(500, "one change per partition that differs");
        changes.Should().OnlyContain(c => ReferenceEquals(c.Snapshot, fresh), "a reset's changes share the fresh snapshot, not one copy of the directory each");
        changes.Select(static c => c.Partition).Should().Equal(Enumerable.Range(0, 500).Select(static i => i * 2));
        mirror.Current.Should().BeSameAs(fresh);
        mirror.Current.Hosts.Should().HaveCount(500);
    }
}
