namespace Partitioned.Tests.Examples;

public sealed class HelloPartitionsTests
{
    [Fact]
    public async Task HelloPartitions_RunsQueriesStopsAndPrintsResults_ExitingZero()
    {
        var (exitCode, output, error) = await ExampleProcess.RunAsync(ExampleProcess.DllOf("examples", "HelloPartitions"), "", TimeSpan.FromSeconds(120));

        exitCode.Should().Be(0, error);
        output.Should().Contain("2 partitions serving");
        output.Should().Contain("Partition 0 at http://127.0.0.1:").And.Contain("500 rows, 0..499");
        output.Should().Contain("500 rows, 500..999");
        output.Should().Contain("Result: partition 0 count=500 sum=124750");
        output.Should().Contain("Result: partition 1 count=500 sum=374750");
    }
}
