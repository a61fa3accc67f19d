using Partitioned.Coordination;
using Partitioned.Directories;

namespace Partitioned.Tests.Coordinator;

public sealed class PartitionDirectoryTests
{
    private static readonly Uri s_first = new("http://127.0.0.1:1001/");
    private static readonly Uri s_second = new("http://127.0.0.1:1002/");

    [Fact]
    public void Register_FirstAttempt_ServesAndBumpsVersion()
    {
        var directory = new PartitionDirectory(2);

        var outcome = directory.Register(1, 0, s_first);

        outcome.Result.Should().Be(RegistrationResult.Accepted);
        directory.Current.Version.Should().Be(1);
        directory.Current[1].State.Should().Be(PartitionState.Serving);
        directory.Current.Hosts.Should().Equal(new Dictionary<int, Uri> { [1] = s_first });
        directory.Current.IsComplete.Should().BeFalse();
    }

    [Fact]
    public void Register_UnknownPartition_IsRefusedWithoutChange()
    {
        var directory = new PartitionDirectory(2);

        directory.Register(2, 0, s_first).Result.Should().Be(RegistrationResult.UnknownPartition);
        directory.Register(-1, 0, s_first).Result.Should().Be(RegistrationResult.UnknownPartition);
        directory.Current.Version.Should().Be(0);
    }

    [Fact]
    public void Register_HigherAttempt_ReplacesAndRaisesEventWithOldAndNewEntry()
    {
        var directory = new PartitionDirectory(1);
        directory.Register(0, 0, s_first);
        var changes = new List<PartitionChange>();
        directory.Changed += (_, change) => changes.Add(change);

        var outcome = directory.Register(0, 1, s_second);

        outcome.Result.Should().Be(RegistrationResult.Accepted);
        outcome.Replaced!.Endpoint.Should().Be(s_first);
        changes.Should().ContainSingle();
        changes[0].Kind.Should().Be(PartitionChangeKind.Replaced);
        changes[0].Previous.Should().Match<PartitionEntry>(e => e.Attempt == 0 && e.Endpoint == s_first);
        changes[0].Current.Should().Match<PartitionEntry>(e => e.Attempt == 1 && e.Endpoint == s_second && e.State == PartitionState.Serving);
    }

    [Fact]
    public void Register_LowerAttempt_IsStale()
    {
        var directory = new PartitionDirectory(1);
        directory.Register(0, 2, s_second);

        var outcome = directory.Register(0, 1, s_first);

        outcome.Result.Should().Be(RegistrationResult.StaleAttempt);
        directory.Current[0].Endpoint.Should().Be(s_second);
    }

    [Fact]
    public void Register_AfterErrorReportOfNewerAttempt_OldAttemptIsStale()
    {
        // A slow attempt 0 must not register after attempt 1 already reported that it failed.
        var directory = new PartitionDirectory(1);
        directory.ReportError(0, 1, "init failed");

        directory.Register(0, 0, s_first).Result.Should().Be(RegistrationResult.StaleAttempt);
    }

    [Fact]
    public void Register_SameAttemptSameEndpoint_IsIdempotent()
    {
        var directory = new PartitionDirectory(1);
        directory.Register(0, 0, s_first);

        directory.Register(0, 0, s_first).Result.Should().Be(RegistrationResult.AlreadyRegistered);
        directory.Current.Version.Should().Be(1);
    }

    [Fact]
    public void ReportError_ServingAttempt_MarksLostWithError()
    {
        var directory = new PartitionDirectory(1);
        directory.Register(0, 0, s_first);

        directory.ReportError(0, 0, "boom").Should().BeTrue();

        directory.Current[0].Should().Match<PartitionEntry>(e => e.State == PartitionState.Lost && e.LastError == "boom");
        directory.Current.Hosts.Should().BeEmpty();
    }

    [Fact]
    public void MarkLost_StaleAttempt_IsIgnored()
    {
        var directory = new PartitionDirectory(1);
        directory.Register(0, 1, s_second);

        directory.MarkLost(0, 0, "old attempt died").Should().BeFalse();
        directory.Current[0].State.Should().Be(PartitionState.Serving);
    }

    [Fact]
    public void MarkFailedThenRegister_IsClosed()
    {
        var directory = new PartitionDirectory(1);
        directory.MarkFailed(0, "gave up");

        directory.Register(0, 5, s_first).Result.Should().Be(RegistrationResult.Closed);
    }

    [Fact]
    public async Task WatchAsync_StreamsChangesInVersionOrderWithSnapshots()
    {
        var directory = new PartitionDirectory(2);
        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var watched = new List<PartitionChange>();
        var reader = Task.Run(async () =>
        {
            await foreach (var change in directory.WatchAsync(cancel.Token))
            {
                watched.Add(change);
                if (watched.Count == 3)
                {
                    break;
                }
            }
        });
        await Eventually.TrueAsync(() => directory.WatcherCount == 1, "the watcher subscribed");

        directory.Register(0, 0, s_first);
        directory.Register(1, 0, s_second);
        directory.MarkLost(0, 0, "gone");
        await reader;

        watched.Select(c => c.Snapshot.Version).Should().Equal(1, 2, 3);
        watched.Select(c => c.Kind).Should().Equal(PartitionChangeKind.Registered, PartitionChangeKind.Registered, PartitionChangeKind.Lost);
        watched[1].Snapshot.IsComplete.Should().BeTrue();
    }

    [Fact]
    public async Task WaitUntilAsync_CompletesWhenConditionHolds()
    {
        var directory = new PartitionDirectory(2);
        var wait = directory.WaitUntilAsync(s => s.IsComplete, CancellationToken.None);

        directory.Register(0, 0, s_first);
        wait.IsCompleted.Should().BeFalse();
        directory.Register(1, 0, s_second);

        (await wait.WaitAsync(TimeSpan.FromSeconds(10))).IsComplete.Should().BeTrue();
    }

    [Fact]
    public void Changed_HandlerThrows_ChangeStandsAndOtherHandlersRun()
    {
        var directory = new PartitionDirectory(1);
        var seen = 0;
        directory.Changed += (_, _) => throw new InvalidOperationException("bad handler");
        directory.Changed += (_, _) => seen++;

        directory.Register(0, 0, s_first).Result.Should().Be(RegistrationResult.Accepted);

        seen.Should().Be(1);
    }
}
