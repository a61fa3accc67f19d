using Partitioned.Clustering;
using Xunit.Abstractions;

namespace Partitioned.Tests.Cluster;

/// <summary>The cluster's behaviour suite with every partition attempt in its own worker process (the test worker app).</summary>
public sealed class ProcessClusterBehaviourTests(ITestOutputHelper output) : ClusterBehaviourTests(output)
{
    protected override IPartitionRunner Runner { get; } = TestWorkers.Runner();

    protected override bool PartitionsRunInThisProcess => false;

    // Three worker processes start at once on a small machine; give the two that do not hang time to register.
    protected override TimeSpan HangingStartTimeout => TimeSpan.FromSeconds(10);
}
