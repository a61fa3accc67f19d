using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using Partitioned.Clustering;
using Partitioned.Coordination;
using Partitioned.Datasets;
using Partitioned.Directories;
using Partitioned.Security;
using Xunit.Abstractions;

namespace Partitioned.Tests.Cluster.Lines;

/// <summary>
/// A replica's line of attempts as a state machine, driven by a runner the test controls, a bare directory and a test
/// clock: launch, registration, failure and re-launch after the backoff up to MaxAttempts, loss, stop, and a rolling
/// update whose new attempt is adopted when the old one dies.
/// </summary>
public sealed class ReplicaLineTests(ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly TimeSpan s_relaunchDelay = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan s_tick = TimeSpan.FromMilliseconds(1);

    private readonly (ILoggerFactory Factory, CapturingLoggerProvider Logs) _logging = TestLogging.Create(output);
    private readonly FakeTimeProvider _time = new();
    private PartitionDirectory _directory = null!;
    private ControlledRunner _runner = null!;
    private PartitionLines<int, int>? _lines;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_lines is not null)
        {
            _lines.AbandonAll();
            await ((Task)Task.WhenAll(_lines.Partitions)).WaitAsync(TimeSpan.FromSeconds(30)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            _lines.Dispose();
        }

        _logging.Factory.Dispose();
    }

    [Fact]
    public async Task RunAsync_AttemptsFail_RelaunchedAfterADoublingBackoff_ThenTheLineFailsForGood()
    {
        var lines = Start(maxAttempts: 3);
        var line = lines.Line(0, 0);
        var first = await _runner.NextAsync();
        line.State.Should().Be(LineState.Launched);
        first.Start();
        line.State.Should().Be(LineState.Serving);

        first.Fail("the worker died");
        await WaitForStateAsync(line, LineState.Relaunching);
        _time.Advance(s_relaunchDelay - s_tick);
        await NoLaunchAsync("the first backoff has not passed");
        _time.Advance(s_tick);
        var second = await _runner.NextAsync();
        second.Attempt.Should().Be(1);
        second.PreviousAttempts.Select(static a => (a.Attempt, a.Status)).Should().Equal((0, AttemptStatus.Failed));
        _directory.Current[0].Replicas[0].State.Should().Be(PartitionState.Lost, "the failure was reported: a serving attempt that errs is lost");

        second.Fail("it died again before it registered");
        await WaitForStateAsync(line, LineState.Relaunching);
        _time.Advance((2 * s_relaunchDelay) - s_tick);
        await NoLaunchAsync("the backoff doubled");
        _time.Advance(s_tick);
        var third = await _runner.NextAsync();
        third.Attempt.Should().Be(2);

        third.Fail("and again");

        var failure = (await FluentActions.Awaiting(() => lines.Partitions[0]).Should().ThrowAsync<PartitionFailedException>()).Which;
        failure.Attempts.Select(static a => (a.Attempt, a.Status)).Should().Equal((0, AttemptStatus.Failed), (1, AttemptStatus.Failed), (2, AttemptStatus.Failed));
        (await lines.FirstFailure).Should().BeSameAs(failure);
        _directory.Current[0].State.Should().Be(PartitionState.Failed);
        line.State.Should().Be(LineState.Ended);
        _time.Advance(TimeSpan.FromMinutes(1));
        await NoLaunchAsync("MaxAttempts were used");
    }

    [Fact]
    public async Task Follow_AttemptSuspectedThenLost_TheAttemptIsEnded_AndTheLineRelaunchesIt()
    {
        var lines = Start();
        var line = lines.Line(0, 0);
        var first = await _runner.NextAsync();
        first.Start();
        _directory.MarkSuspected(0, 0, "a health check timed out").Should().BeTrue();
        line.State.Should().Be(LineState.Suspected);
        first.Lost.IsCompleted.Should().BeFalse("a suspect keeps running");

        _directory.MarkLost(0, 0, "3 health checks failed in a row").Should().BeTrue();

        (await first.Lost.WaitAsync(TimeSpan.FromSeconds(30))).Should().Be("3 health checks failed in a row");
        line.State.Should().Be(LineState.Lost);

        // What every runner does when its attempt is lost: stop it (a worker process is killed), which fails it.
        first.Fail("killed: the attempt was lost");
        await WaitForStateAsync(line, LineState.Relaunching);
        _time.Advance(s_relaunchDelay);
        var second = await _runner.NextAsync();
        second.Attempt.Should().Be(1);
        line.State.Should().Be(LineState.Launched);
        second.Start();

        line.State.Should().Be(LineState.Serving);
        _directory.Current[0].Replicas[0].Attempt.Should().Be(1);
        lines.Outcomes.Should().ContainSingle().Which.Should().Match<AttemptOutcome>(static o => o.Attempt == 0 && o.Status == AttemptStatus.Failed);
    }

    [Fact]
    public async Task Abandon_DuringAStop_TheAttemptIsCancelled_AndTheLineEndsWithoutResults()
    {
        var lines = Start();
        var first = await _runner.NextAsync();
        first.Start();

        lines.BeginStop();
        lines.Abandon(0, 0);

        var failure = (await FluentActions.Awaiting(() => lines.Partitions[0]).Should().ThrowAsync<PartitionFailedException>()).Which;
        failure.Message.Should().Contain("abandoned before it produced results");
        first.Abandoned.Should().BeTrue();
        lines.Outcomes.Should().ContainSingle().Which.Status.Should().Be(AttemptStatus.Abandoned);
        lines.Line(0, 0).State.Should().Be(LineState.Ended);
        await NoLaunchAsync("an abandoned attempt is not re-launched");
    }

    [Fact]
    public async Task BeginStop_AttemptFailsWhileStopping_IsNotRelaunched()
    {
        var lines = Start();
        var first = await _runner.NextAsync();
        first.Start();

        lines.BeginStop();
        first.Fail("it crashed while draining");

        var failure = (await FluentActions.Awaiting(() => lines.Partitions[0]).Should().ThrowAsync<PartitionFailedException>()).Which;
        failure.Message.Should().Contain("not re-launched");
        _time.Advance(TimeSpan.FromMinutes(1));
        await NoLaunchAsync("the cluster is stopping");
    }

    [Fact]
    public async Task AbandonAll_WhileTheLineWaitsToRelaunch_EndsItWithoutAnotherAttempt()
    {
        var lines = Start();
        var first = await _runner.NextAsync();
        first.Fail("it died");
        await WaitForStateAsync(lines.Line(0, 0), LineState.Relaunching);

        lines.AbandonAll();

        var failure = (await FluentActions.Awaiting(() => lines.Partitions[0]).Should().ThrowAsync<PartitionFailedException>()).Which;
        failure.Message.Should().Contain("the cluster stopped while it waited to be re-launched");
        _time.Advance(TimeSpan.FromMinutes(1));
        await NoLaunchAsync("the cluster gave up");
    }

    [Fact]
    public async Task BeginStop_AttemptHandsBackResults_ThePartitionHasThem()
    {
        var lines = Start();
        var first = await _runner.NextAsync();
        first.Start();

        lines.BeginStop();
        first.Finish(1, 2, 3);

        (await lines.Partitions[0].WaitAsync(TimeSpan.FromSeconds(30))).Should().Equal(1, 2, 3);
        lines.Outcomes.Should().ContainSingle().Which.Status.Should().Be(AttemptStatus.Succeeded);
        lines.Line(0, 0).State.Should().Be(LineState.Ended);
    }

    [Fact]
    public async Task RollingUpdate_OldAttemptDiesWhileItsSuccessorStarts_TheLineAdoptsTheSuccessor()
    {
        var lines = Start();
        var line = lines.Line(0, 0);
        var old = await _runner.NextAsync();
        old.Start();
        var shutdowns = new ConcurrentQueue<Uri>();
        var update = lines.Rollout.UpdateAsync(TestServers.RowsWith(), (endpoint, _) =>
        {
            shutdowns.Enqueue(endpoint);
            return Task.FromResult<string?>(null);
        }, CancellationToken.None);
        var incoming = await _runner.NextAsync();
        incoming.Attempt.Should().Be(1);
        line.ReadCurrent()!.Number.Should().Be(0, "the new attempt starts next to the old one");

        old.Fail("the old server died");

        await Eventually.TrueAsync(() => line.ReadCurrent()?.Number == 1, "the line adopted the new attempt");
        _logging.Logs.Text.Should().Contain("attempt 1 takes its place");
        incoming.Start();
        (await update.WaitAsync(TimeSpan.FromSeconds(30))).Should().Be(1, "the rollout went on once the adopted attempt served");
        lines.Version.Should().Be(1);
        line.State.Should().Be(LineState.Serving);
        _directory.Current[0].Replicas[0].Should().Match<ReplicaEntry>(static r => r.Attempt == 1 && r.Version == 1);
        lines.Outcomes.Should().ContainSingle().Which.Should().Match<AttemptOutcome>(static o => o.Attempt == 0 && o.Status == AttemptStatus.Failed);
        _time.Advance(TimeSpan.FromMinutes(1));
        await NoLaunchAsync("the old version is not re-launched: that would fence the new attempt out");
        _runner.Launched.Should().Be(2);
    }

    [Fact]
    public async Task RollingUpdate_OldAttemptDrains_TheLineFollowsTheNewOne_AndTheOldSucceeds()
    {
        var lines = Start();
        var line = lines.Line(0, 0);
        var old = await _runner.NextAsync();
        old.Start();
        var update = lines.Rollout.UpdateAsync(TestServers.RowsWith(), (endpoint, _) =>
        {
            // The old server drains and stops when asked.
            endpoint.Should().Be(old.Endpoint);
            old.Finish(9);
            return Task.FromResult<string?>(null);
        }, CancellationToken.None);
        var incoming = await _runner.NextAsync();

        incoming.Start();

        (await update.WaitAsync(TimeSpan.FromSeconds(30))).Should().Be(1);
        line.ReadCurrent()!.Number.Should().Be(1);
        await Eventually.TrueAsync(() => lines.Outcomes.Count == 1, "the old attempt ended");
        lines.Outcomes[0].Should().Match<AttemptOutcome>(static o => o.Attempt == 0 && o.Status == AttemptStatus.Succeeded);
        lines.LookUpAttempt(0, 0).Over.Should().Be("it ended and handed back its results");
        lines.Partitions[0].IsCompleted.Should().BeFalse("the line goes on with the new attempt");
    }

    private PartitionLines<int, int> Start(int maxAttempts = 4)
    {
        _directory = new PartitionDirectory(1, _time);
        _runner = new ControlledRunner(_directory);
        var options = new ClusterOptions { Runner = _runner, MaxAttempts = maxAttempts, RelaunchDelay = s_relaunchDelay, TimeProvider = _time };
        var settings = new ClusterRunSettings<int, int>("lines", ClusterToken.Create(), PartitionedDataset.FromCollection(new[] { 1, 2, 3 }, 1), TestServers.RowsWith(), options, _logging.Factory);
        _lines = new PartitionLines<int, int>(settings, _logging.Factory.CreateLogger("Partitioned.Clustering.Cluster"));
        _directory.Changed += (_, change) => _lines.Follow(change);
        _lines.Start(new DirectoryRegistry(_directory));
        return _lines;
    }

    private static Task WaitForStateAsync(ReplicaLine<int, int> line, LineState state) =>
        Eventually.TrueAsync(() => line.State == state, $"the line is {state}");

    private async Task NoLaunchAsync(string because)
    {
        // Time for a wrong launch to happen: the lines run on the thread pool.
        await Task.Delay(200);
        _runner.HasPending.Should().BeFalse(because);
    }
}
