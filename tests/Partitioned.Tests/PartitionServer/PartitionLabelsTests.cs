using Partitioned.Coordination;
using Partitioned.Directories;
using Partitioned.Server;
using Xunit.Abstractions;

namespace Partitioned.Tests.PartitionServer;

/// <summary>The labels a partition server announces when it registers (<see cref="PartitionContext.Labels"/>).</summary>
public sealed class PartitionLabelsTests(ITestOutputHelper output)
{
    [Fact]
    public async Task LabelsSetWhileInitializing_AreOnTheReplicaInTheDirectory()
    {
        var server = Server(context =>
        {
            context.Labels["myapp/first-row"] = "7";
            context.Labels["myapp/empty"] = string.Empty;
        });
        await using var harness = await PartitionHarness<int, int>.StartAsync(server, [7, 8], output);

        harness.Coordinator.Directory.Current[0].Replicas[0].Labels.Should().Equal(new Dictionary<string, string>
        {
            ["myapp/first-row"] = "7",
            ["myapp/empty"] = string.Empty,
        });
    }

    [Fact]
    public async Task BadLabels_FailTheAttemptBeforeItRegisters_NamingEachProblem()
    {
        var server = Server(context =>
        {
            context.Labels["my key"] = "v";
            context.Labels["myapp/long"] = new string('x', 5000);
        });
        await using var harness = await PartitionHarness<int, int>.StartAsync(server, [1], output, waitForRegistration: false);

        var act = () => harness.Run;

        (await act.Should().ThrowAsync<PartitionAttemptException>()).Which.Message.Should()
            .Contain("PartitionContext.Labels").And.Contain("label key 'my key'").And.Contain("label 'myapp/long'").And.Contain("5000");
        harness.Coordinator.Directory.Current[0].State.Should().Be(PartitionState.Pending, "the attempt never registered");
    }

    private static DelegatePartitionServer<int, List<int>, int> Server(Action<PartitionContext> label) => new(
        initialize: async (rows, context, token) =>
        {
            label(context);
            return await rows.ToListAsync(token);
        },
        mapRoutes: static _ => { });
}
