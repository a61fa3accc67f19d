using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using Microsoft.Extensions.Logging;
using Partitioned.Clustering;
using Partitioned.Protocol;
using Xunit.Abstractions;

namespace Partitioned.Tests.Executors;

/// <summary>
/// The coordinator's side of engine-launched executors (<c>POST /v1/executors/{executor}/attempts</c>), over real HTTP,
/// with the test playing the executors: which attempts each gets, what an engine's restart of one does, and every refusal.
/// </summary>
public sealed class ExecutorAssignmentTests : IDisposable
{
    private readonly ILoggerFactory _loggerFactory;
    private readonly CapturingLoggerProvider _logs;

    public ExecutorAssignmentTests(ITestOutputHelper output) => (_loggerFactory, _logs) = TestLogging.Create(output, LogLevel.Information);

    public void Dispose() => _loggerFactory.Dispose();

    [Fact]
    public async Task Poll_ExecutorsGetFreeAttempts_ARestartedExecutorsAttemptsAreRelaunched_AndTheReplacedProcessIsRefused()
    {
        var launched = new TaskCompletionSource<EngineLaunch>(TaskCreationOptions.RunContinuationsAsynchronously);
        var runner = new ExternalWorkersRunner((launch, _) =>
        {
            launched.TrySetResult(launch);
            return Task.CompletedTask;
        }, workersOnOtherHosts: false);
        await using var cluster = new Cluster<int, int>(TestClusters.Integers(40, 4), TestServers.RowsWith(), TestClusters.Options(_loggerFactory, runner));
        using var stop = new CancellationTokenSource();
        var starting = cluster.StartAsync(stop.Token);
        try
        {
            await PlayExecutorsAsync(await launched.Task.WaitAsync(TimeSpan.FromSeconds(30)));
        }
        finally
        {
            await stop.CancelAsync();
            await FluentActions.Awaiting(() => starting).Should().ThrowAsync<OperationCanceledException>();
        }
    }

    private async Task PlayExecutorsAsync(EngineLaunch launch)
    {
        using var http = new HttpClient { BaseAddress = launch.Coordinator };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", launch.Token.Value);

        // Executor x1 takes three attempts, x2 the fourth: every partition's attempt 0, each given to one executor.
        var x1 = await TakeAsync(http, "x1", "first", free: 3, expected: 3);
        var x2 = await TakeAsync(http, "x2", "only", free: 4, expected: 1);
        x1.Should().HaveCount(3).And.OnlyContain(static a => a.Attempt == 0);
        x2.Should().ContainSingle().Which.Should().Be(new AttemptAssignment(Enumerable.Range(0, 4).Except(x1.Select(static a => a.Partition)).Single(), 0));

        // An attempt an executor runs but was never given, or one given to another executor, is over for it.
        var answer = await PollAsync(http, "x2", "only", 0, [.. x2, x1[0]]);
        answer.Over.Should().Equal(x1[0]);
        answer.Assigned.Should().BeEmpty();

        // The engine starts x1 again (a retry, a requeue): a new incarnation. The first process's attempts fail and come
        // back as attempt 1, for whichever executor has room: here the new x1.
        var again = await TakeAsync(http, "x1", "second", free: 3, expected: 3);
        again.Select(static a => (a.Partition, a.Attempt)).Should().BeEquivalentTo(x1.Select(static a => (a.Partition, 1)));
        foreach (var attempt in x1)
        {
            _logs.Text.Should().Contain($"Partition {attempt.Partition} attempt 0 failed: ").And.Contain("its engine started executor x1 again (a retry or a requeue)");
        }

        // The replaced process is refused when it asks again: it must stop.
        var stale = await http.PostAsJsonAsync("v1/executors/x1/attempts", new ExecutorAttemptsRequest("first", 0, x1));
        stale.StatusCode.Should().Be(HttpStatusCode.Conflict);
        (await stale.Content.ReadAsStringAsync()).Should().Contain("Executor x1 (incarnation first) was replaced");

        // An attempt assigned to an executor that no longer lists it (it failed there) fails, and is re-launched.
        await PollAsync(http, "x2", "only", 1, []);
        await Eventually.TrueAsync(() => _logs.Text.Contains($"Partition {x2[0].Partition} attempt 0 failed: ", StringComparison.Ordinal) && _logs.Text.Contains("its executor x2 no longer runs it", StringComparison.Ordinal), "x2's dropped attempt failed", TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task Poll_BadRequests_AreRefusedWithAProblemThatSaysWhy()
    {
        var launched = new TaskCompletionSource<EngineLaunch>(TaskCreationOptions.RunContinuationsAsynchronously);
        var runner = new ExternalWorkersRunner((launch, _) =>
        {
            launched.TrySetResult(launch);
            return Task.CompletedTask;
        }, workersOnOtherHosts: false);
        await using var cluster = new Cluster<int, int>(TestClusters.Integers(20, 2), TestServers.RowsWith(), TestClusters.Options(_loggerFactory, runner));
        using var stop = new CancellationTokenSource();
        var starting = cluster.StartAsync(stop.Token);
        var launch = await launched.Task.WaitAsync(TimeSpan.FromSeconds(30));
        using var http = new HttpClient { BaseAddress = launch.Coordinator };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", launch.Token.Value);

        await ExpectAsync(http.PostAsJsonAsync("v1/executors/no%20spaces/attempts", new ExecutorAttemptsRequest("i", 1, [])), HttpStatusCode.BadRequest, "executor id 'no spaces' is invalid");
        await ExpectAsync(http.PostAsJsonAsync("v1/executors/x/attempts", new ExecutorAttemptsRequest("i", -1, [])), HttpStatusCode.BadRequest, "free must be between 0 and 100000");
        await ExpectAsync(http.PostAsJsonAsync("v1/executors/x/attempts", new ExecutorAttemptsRequest(" ", 1, [])), HttpStatusCode.BadRequest, "incarnation must be 1 to 64 characters");
        await ExpectAsync(http.PostAsJsonAsync("v1/executors/x/attempts", new ExecutorAttemptsRequest("i", 1, [new AttemptAssignment(7, 0)])), HttpStatusCode.BadRequest, "partition from 0 to 1");
        await ExpectAsync(http.PostAsync("v1/executors/x/attempts", new StringContent("{\"incarnation\":", Encoding.UTF8, "application/json")), HttpStatusCode.BadRequest, "request body");
        await ExpectAsync(http.PostAsync("v1/executors/x/attempts", new StringContent("free=1", Encoding.UTF8, "text/plain")), HttpStatusCode.UnsupportedMediaType, "application/json");
        using (var anonymous = new HttpClient { BaseAddress = launch.Coordinator })
        {
            (await anonymous.PostAsJsonAsync("v1/executors/x/attempts", new ExecutorAttemptsRequest("i", 1, []))).StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        }

        await stop.CancelAsync();
        await FluentActions.Awaiting(() => starting).Should().ThrowAsync<OperationCanceledException>();

        // A cluster that launches its own workers assigns nothing to executors it did not start.
        await using var own = await Clustering.Cluster.StartAsync(TestClusters.Integers(20, 2), TestServers.RowsWith(), TestClusters.Options(_loggerFactory));
        using var ownHttp = new HttpClient { BaseAddress = own.CoordinatorAddress };
        ownHttp.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", own.Token.Value);
        await ExpectAsync(ownHttp.PostAsJsonAsync("v1/executors/x/attempts", new ExecutorAttemptsRequest("i", 1, [])), HttpStatusCode.Conflict, "this cluster launches its own workers (runner 'in-process')");
    }

    /// <summary>Polls as an executor with <paramref name="free"/> free slots until it holds <paramref name="expected"/> attempts (the lines launch them a moment after the engine).</summary>
    private static async Task<List<AttemptAssignment>> TakeAsync(HttpClient http, string executor, string incarnation, int free, int expected)
    {
        var held = new List<AttemptAssignment>();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (held.Count < expected)
        {
            DateTime.UtcNow.Should().BeBefore(deadline, $"executor {executor} should have got {expected} attempts (it has {held.Count})");
            var answer = await PollAsync(http, executor, incarnation, free - held.Count, held);
            answer.Over.Should().BeEmpty();
            held.AddRange(answer.Assigned);
            await Task.Delay(100);
        }

        return held;
    }

    private static async Task<ExecutorAttemptsResponse> PollAsync(HttpClient http, string executor, string incarnation, int free, IReadOnlyList<AttemptAssignment> running)
    {
        using var response = await http.PostAsJsonAsync($"v1/executors/{executor}/attempts", new ExecutorAttemptsRequest(incarnation, free, running));
        response.StatusCode.Should().Be(HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<ExecutorAttemptsResponse>())!;
    }

    private static async Task ExpectAsync(Task<HttpResponseMessage> request, HttpStatusCode status, string detail)
    {
        using var response = await request;
        var body = await response.Content.ReadAsStringAsync();
        response.StatusCode.Should().Be(status, body);
        body.Should().Contain(detail);
    }
}
