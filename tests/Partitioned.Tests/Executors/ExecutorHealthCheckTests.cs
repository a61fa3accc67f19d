using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Partitioned.Coordination;
using Partitioned.Directories;
using Partitioned.Security;
using Partitioned.Tests.Coordinator;

namespace Partitioned.Tests.Executors;

/// <summary>
/// Health checks of executors: one check per executor per interval (its members' answers list each other), and verdicts
/// per member. Fake members (real Kestrel servers, one per member) stand in for an executor's partitions.
/// </summary>
public sealed class ExecutorHealthCheckTests : IAsyncLifetime
{
    private static readonly TimeSpan s_interval = TimeSpan.FromMilliseconds(100);

    private readonly List<WebApplication> _members = [];
    private readonly ConcurrentDictionary<int, int> _checks = new();
    private readonly ConcurrentDictionary<int, string> _listed = new();
    private readonly ConcurrentDictionary<int, bool> _answering = new();
    private Partitioned.Coordination.Coordinator _coordinator = null!;

    public async Task InitializeAsync()
    {
        _coordinator = await Partitioned.Coordination.Coordinator.StartAsync(new CoordinatorOptions
        {
            PartitionCount = 3,
            ClusterId = "test",
            Token = ClusterToken.Create(),
            HealthCheckInterval = s_interval,
            UnhealthyThreshold = 3,
        });
        for (var partition = 0; partition < 3; partition++)
        {
            var member = partition;
            _listed[member] = "serving";
            _answering[member] = true;
            var app = await HealthMonitorTests.StartFakePartitionAsync(context => AnswerAsync(context, member));
            _members.Add(app);
            _coordinator.Directory.Register(member, 0, new Uri(app.Urls.Single()), executor: "x1");
        }
    }

    public async Task DisposeAsync()
    {
        await _coordinator.DisposeAsync();
        foreach (var member in _members)
        {
            await member.DisposeAsync();
        }
    }

    [Fact]
    public async Task Check_ThreeMembersOfOneExecutor_OneLoopChecksOneMemberPerInterval_AndConfirmsEveryMember()
    {
        await Eventually.TrueAsync(() => _checks.Values.Sum() >= 10, "ten checks of the executor were made", TimeSpan.FromSeconds(20));
        var started = DateTime.UtcNow;
        var before = _checks.Values.Sum();
        await Task.Delay(TimeSpan.FromSeconds(2));
        var checks = _checks.Values.Sum() - before;
        var intervals = (DateTime.UtcNow - started) / s_interval;

        _coordinator.HealthCheckLoops.Should().Be(1);
        checks.Should().BeLessThan((int)(intervals * 1.5) + 3, "one member is checked per interval, not each of the three");
        _checks.Keys.Should().BeEquivalentTo([0, 1, 2], "the checks go round the members");
        for (var partition = 0; partition < 3; partition++)
        {
            _coordinator.Directory.GetLastSeen(partition).Should().BeAfter(DateTimeOffset.UtcNow.AddSeconds(-1), "every member is confirmed by its executor's answers");
            _coordinator.Directory.Current[partition].State.Should().Be(PartitionState.Serving);
        }
    }

    [Fact]
    public async Task Check_ExecutorNoLongerListsAMember_OnlyThatMemberIsMarkedLost()
    {
        await Eventually.TrueAsync(() => _checks.Values.Sum() >= 3, "the executor was checked");

        // Member 1's attempt ended in its executor (it failed there); its server still answers for itself.
        _listed.TryRemove(1, out _);

        await Eventually.TrueAsync(() => _coordinator.Directory.Current[1].State == PartitionState.Lost, "member 1 is marked lost", TimeSpan.FromSeconds(20));
        _coordinator.Directory.Current[1].LastError.Should().Contain("its executor x1 no longer runs it");
        await Task.Delay(s_interval * 5);
        _coordinator.Directory.Current[0].State.Should().Be(PartitionState.Serving);
        _coordinator.Directory.Current[2].State.Should().Be(PartitionState.Serving);
        _coordinator.Directory.Current.Partitions.Should().OnlyContain(p => !p.Replicas[0].Suspected || p.Partition == 1);
    }

    [Fact]
    public async Task Check_OneMembersServerStopsAnswering_ItIsMarkedLost_ItsExecutorAndNeighboursStayServing()
    {
        await Eventually.TrueAsync(() => _checks.Values.Sum() >= 3, "the executor was checked");

        // Member 2's own server answers 503, though its executor still lists it as serving.
        _answering[2] = false;

        await Eventually.TrueAsync(() => _coordinator.Directory.Current[2].State == PartitionState.Lost, "member 2 is marked lost", TimeSpan.FromSeconds(20));
        _coordinator.Directory.Current[2].LastError.Should().Contain("503");
        await Task.Delay(s_interval * 5);
        _coordinator.Directory.Current[0].State.Should().Be(PartitionState.Serving);
        _coordinator.Directory.Current[1].State.Should().Be(PartitionState.Serving);
    }

    [Fact]
    public async Task Check_WholeExecutorSilent_EveryMemberIsMarkedLost_AndRecoversWhenItAnswersAgain()
    {
        await Eventually.TrueAsync(() => _checks.Values.Sum() >= 3, "the executor was checked");
        foreach (var member in _answering.Keys)
        {
            _answering[member] = false;
        }

        await Eventually.TrueAsync(() => _coordinator.Directory.Current.Partitions.All(static p => p.State == PartitionState.Lost), "every member is marked lost", TimeSpan.FromSeconds(20));
        _coordinator.Directory.Current.Partitions.Select(static p => p.LastError).Should().Contain(e => e!.Contains("its executor x1 did not answer", StringComparison.Ordinal));

        foreach (var member in _answering.Keys)
        {
            _answering[member] = true;
        }

        await Eventually.TrueAsync(() => _coordinator.Directory.Current.Partitions.All(static p => p.State == PartitionState.Serving), "every member recovered", TimeSpan.FromSeconds(20));
    }

    private Task AnswerAsync(HttpContext context, int member)
    {
        _checks.AddOrUpdate(member, 1, static (_, count) => count + 1);
        if (!_answering[member])
        {
            context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            return Task.CompletedTask;
        }

        return context.Response.WriteAsJsonAsync(new
        {
            state = "serving",
            clusterId = "test",
            partition = member,
            attempt = 0,
            rows = 0L,
            inFlight = 0,
            executor = "x1",
            members = _listed.Select(static m => new { partition = m.Key, attempt = 0, state = m.Value }).ToArray(),
        });
    }
}
