using Partitioned.Testing.Slurm;
using Xunit.Abstractions;

namespace Partitioned.Tests.Slurm;

/// <summary>The SearchCluster example with <c>--runner slurm --local-slurm</c>, run as a user would.</summary>
[Collection(SlurmCollection.Name)]
public sealed class SearchClusterOnSlurmTests(SlurmFixture fixture, ITestOutputHelper output)
{
    [Fact]
    public async Task SearchCluster_OnTheLocalSlurmCluster_PrintsWhereEachPartitionRuns_AndExitsZero()
    {
        var (exitCode, stdout, stderr) = await ExampleProcess.RunAsync(
            ExampleProcess.DllOf("examples", "SearchCluster"), "--runner slurm --local-slurm --documents 1200 --partitions 4 --rounds 2", TimeSpan.FromSeconds(120));

        output.WriteLine(stdout);
        exitCode.Should().Be(0, stderr);
        stdout.Should().Contain("Local Slurm cluster: already running.", "the example reuses the cluster the tests started, and leaves it running")
            .And.Contain("4 partitions serving after").And.Contain("(slurm runner")
            .And.Contain("Query \"galaxy telescope\": 10 hits")
            .And.Contain("Stopped partition 3: answered");
        var prefix = fixture.Cluster.HostAddress[..fixture.Cluster.HostAddress.LastIndexOf('.')];
        for (var partition = 0; partition < 4; partition++)
        {
            stdout.Should().MatchRegex(fixture.Cluster.Mode == "netns"
                ? $@"partition {partition} on node n(?<node>[1-3]) at https://{prefix.Replace(".", @"\.", StringComparison.Ordinal)}\.1\k<node>:[0-9]+/ \(attempt 0"
                : $@"partition {partition} on node n[1-3] at https://127\.0\.0\.1:[0-9]+/ \(attempt 0");
        }

        stdout.Should().NotContain("Local Slurm cluster: stopping");
    }
}
